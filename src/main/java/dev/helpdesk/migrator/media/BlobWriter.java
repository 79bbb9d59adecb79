package dev.helpdesk.migrator.media;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One blob being written. Chunks are held until {@link #FLUSH_BYTES} have arrived, then handed to a
 * worker task that hashes them and appends them to the part file; the last task also syncs, closes
 * and publishes the file. A blob's tasks run one after the other, and chunks that arrive meanwhile
 * join the next task. An attachment smaller than {@code FLUSH_BYTES} is therefore one worker task
 * from the first byte to its content address; as separate file-system calls (open, a write per
 * chunk, sync, close, move) it was five worker hops or more, each a wait at 16 downloads in flight.
 * SHA-256 runs on the workers too, off the event loop that also serves the downloads.
 *
 * <p>Nothing beyond {@link #MAX_QUEUED} bytes is held per blob: past it {@link #writeQueueFull()}
 * asks the caller to pause the body until the drain handler runs. Either {@link #commit()} or
 * {@link #abort()} ends it; both are safe to call more than once.
 */
public final class BlobWriter {
  /** Bytes held before a write task starts. */
  static final int FLUSH_BYTES = 64 * 1024;
  /** Bytes held or being written past which the caller should pause; drain below half of it. */
  static final int MAX_QUEUED = 256 * 1024;

  private final Vertx vertx;
  private final BlobStore store;
  private final Path part;
  private final long maxBytes;
  // the digest and the channel are used only by this blob's tasks, which never overlap
  private final MessageDigest digest;
  private FileChannel channel;

  private List<Buffer> held = new ArrayList<>();
  private long heldBytes;
  /** Bytes of the running task's batch. */
  private long writingBytes;
  private long size;
  private boolean running;
  private Throwable error;
  private Handler<Void> drainHandler;
  /** Set by commit: the next task that finds it set is the last one. */
  private Promise<BlobStore.StoredBlob> committed;
  /** Set by abort: the part file is removed once no task runs. */
  private Promise<Void> aborted;
  private Future<?> ending;

  BlobWriter(Vertx vertx, BlobStore store, Path part, long maxBytes) {
    this.vertx = vertx;
    this.store = store;
    this.part = part;
    this.maxBytes = maxBytes;
    this.digest = Sha256.create();
  }

  /**
   * Appends a chunk; false (and nothing written) when it would take the blob past maxBytes or the
   * blob has ended. After a write failed, chunks are dropped: {@link #commit()} reports the failure.
   */
  public boolean write(Buffer chunk) {
    synchronized (this) {
      if (ending != null) return false;
      if (size + chunk.length() > maxBytes) return false;
      size += chunk.length();
      if (error != null) return true;
      held.add(chunk);
      heldBytes += chunk.length();
    }
    pump();
    return true;
  }

  public synchronized boolean writeQueueFull() {
    return error == null && heldBytes + writingBytes >= MAX_QUEUED;
  }

  public synchronized void drainHandler(Handler<Void> handler) {
    drainHandler = handler;
  }

  /** Writes what is held, syncs, closes and moves the file to its content address. */
  public Future<BlobStore.StoredBlob> commit() {
    synchronized (this) {
      if (ending != null) return Future.failedFuture(new IllegalStateException("blob already ended"));
      committed = Promise.promise();
      ending = committed.future();
    }
    pump();
    return committed.future();
  }

  /** Stops writing and deletes the part file; completes once it is gone. */
  public Future<Void> abort() {
    synchronized (this) {
      if (ending != null) return ending.mapEmpty();
      aborted = Promise.promise();
      ending = aborted.future();
      held = new ArrayList<>();
      heldBytes = 0;
    }
    pump();
    return aborted.future();
  }

  /** Starts the next task when none runs and there is something to do. */
  private void pump() {
    List<Buffer> batch;
    boolean last;
    boolean discard;
    Promise<Void> abortedNow;
    Throwable failure;
    synchronized (this) {
      if (running) return;
      discard = aborted != null || (committed != null && error != null);
      last = committed != null && !discard;
      if (!discard && !last && heldBytes < FLUSH_BYTES) return;
      if (discard && (aborted != null ? aborted : committed).future().isComplete()) return;
      running = true;
      batch = held;
      writingBytes = heldBytes;
      held = new ArrayList<>();
      heldBytes = 0;
      abortedNow = aborted;
      failure = error;
    }
    if (discard) {
      vertx.executeBlocking(() -> {
        discardBlocking();
        return null;
      }, false).onComplete(ar -> {
        synchronized (this) {
          running = false;
        }
        if (abortedNow != null) abortedNow.tryComplete();
        else committed.tryFail(failure);
      });
      return;
    }
    vertx.executeBlocking(() -> {
      append(batch);
      return last ? finish() : null;
    }, false).onComplete(ar -> afterTask(last, ar.succeeded() ? ar.result() : null, ar.cause()));
  }

  private void afterTask(boolean last, BlobStore.StoredBlob stored, Throwable failure) {
    Handler<Void> drain = null;
    synchronized (this) {
      running = false;
      writingBytes = 0;
      if (failure != null && error == null) {
        error = failure;
        // the caller may be paused waiting for a drain: let the body run to its end and the commit report this
        held = new ArrayList<>();
        heldBytes = 0;
      }
      if (drainHandler != null && (error != null || heldBytes <= MAX_QUEUED / 2)) {
        drain = drainHandler;
        drainHandler = null;
      }
    }
    if (last && failure == null) {
      committed.tryComplete(stored);
      return;
    }
    if (drain != null) drain.handle(null);
    pump();
  }

  /** On a worker: hashes the chunks and appends them, creating the part file on the first one. */
  private void append(List<Buffer> batch) throws IOException {
    if (channel == null) channel = open();
    for (Buffer chunk : batch) {
      byte[] bytes = chunk.getBytes();
      digest.update(bytes);
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) channel.write(b);
    }
  }

  private FileChannel open() throws IOException {
    try {
      return FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (NoSuchFileException noDir) {
      Files.createDirectories(part.getParent());
      return FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
  }

  /** On a worker: the bytes on disk before the file takes its name, so a crash never leaves a named, torn blob. */
  private BlobStore.StoredBlob finish() throws IOException {
    if (channel == null) channel = open();
    channel.force(false);
    channel.close();
    String sha256 = HexFormat.of().formatHex(digest.digest());
    long finalSize;
    synchronized (this) {
      finalSize = size;
    }
    return store.publishBlocking(part, sha256, finalSize);
  }

  /** On a worker. */
  private void discardBlocking() throws IOException {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // it is being deleted anyway
      }
    }
    Files.deleteIfExists(part);
  }
}
