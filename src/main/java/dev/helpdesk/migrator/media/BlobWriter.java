package dev.helpdesk.migrator.media;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One blob being written: hashes and counts the bytes as they pass, so nothing is read back and
 * nothing is held in memory beyond the file's write queue. Either {@link #commit()} or
 * {@link #abort()} ends it; both are safe to call more than once.
 */
public final class BlobWriter {
  private final BlobStore store;
  private final AsyncFile file;
  private final String part;
  private final long maxBytes;
  private final MessageDigest digest;
  private long size;
  private int pendingWrites;
  private Throwable writeError;
  private Promise<Void> drained;
  private Future<?> ending;

  BlobWriter(BlobStore store, AsyncFile file, String part, long maxBytes) {
    this.store = store;
    this.file = file;
    this.part = part;
    this.maxBytes = maxBytes;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always present in the JDK", e);
    }
  }

  /** Appends a chunk; false (and nothing written) when it would take the blob past maxBytes. */
  public synchronized boolean write(Buffer chunk) {
    if (ending != null) return false;
    if (size + chunk.length() > maxBytes) return false;
    size += chunk.length();
    digest.update(chunk.getBytes());
    pendingWrites++;
    file.write(chunk).onComplete(ar -> writeDone(ar.cause()));
    return true;
  }

  public long size() {
    synchronized (this) {
      return size;
    }
  }

  public boolean writeQueueFull() {
    return file.writeQueueFull();
  }

  public void drainHandler(Handler<Void> handler) {
    file.drainHandler(handler);
  }

  /** Waits for the writes, fsyncs, closes and moves the file to its content address. */
  public Future<BlobStore.StoredBlob> commit() {
    Future<Void> allWritten;
    String sha256;
    long finalSize;
    synchronized (this) {
      if (ending != null) return Future.failedFuture(new IllegalStateException("blob already ended"));
      drained = Promise.promise();
      if (pendingWrites == 0) drained.tryComplete();
      allWritten = drained.future();
      sha256 = HexFormat.of().formatHex(digest.digest());
      finalSize = size;
      Future<BlobStore.StoredBlob> result = allWritten
          .compose(v -> {
            Throwable e = writeError();
            return e == null ? file.flush() : Future.failedFuture(e);
          })
          .compose(v -> file.close())
          .compose(v -> store.publish(part, sha256, finalSize))
          .recover(e -> discardQuietly().compose(v -> Future.failedFuture(e)));
      ending = result;
      return result;
    }
  }

  /** Closes and deletes the part file; completes once it is gone. */
  public Future<Void> abort() {
    synchronized (this) {
      if (ending != null) return ending.mapEmpty();
      Future<Void> result = file.close().recover(e -> Future.succeededFuture()).compose(v -> store.discard(part));
      ending = result;
      return result;
    }
  }

  private Future<Void> discardQuietly() {
    return file.close().recover(e -> Future.succeededFuture())
        .compose(v -> store.discard(part))
        .recover(e -> Future.succeededFuture());
  }

  private synchronized Throwable writeError() {
    return writeError;
  }

  private void writeDone(Throwable error) {
    Promise<Void> toComplete = null;
    synchronized (this) {
      if (error != null && writeError == null) writeError = error;
      pendingWrites--;
      if (pendingWrites == 0 && drained != null) toComplete = drained;
    }
    if (toComplete != null) toComplete.tryComplete();
  }
}
