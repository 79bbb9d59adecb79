package dev.helpdesk.migrator.media;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.FileSystem;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Content-addressed files under ATTACHMENTS_DIR: {@code ab/cd/abcd...} named by the SHA-256 of the
 * bytes, so the same attachment copied twice (or by two instances on a shared volume) is one file.
 * Writers stream into {@code tmp/<owner>/<uuid>.part} and move into place only once the bytes are on disk.
 *
 * <p>Each store that was {@link #init() initialised} owns {@code tmp/<owner>/} and holds an OS lock on
 * {@code tmp/<owner>.lock} for as long as its process lives. The OS drops the lock when the process
 * dies, even by {@code kill -9}, so any instance on the volume can tell a dead owner's partials from
 * a live download and remove them at once, instead of after a grace period.
 */
public final class BlobStore {
  private static final Logger log = LoggerFactory.getLogger(BlobStore.class);
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  static final String PART_SUFFIX = ".part";
  /**
   * Partials younger than this may belong to a download still running on another instance that
   * shares the volume; a live download touches its file at least every media time-out.
   */
  public static final Duration DEFAULT_PARTIAL_GRACE = Duration.ofMinutes(10);
  static final String LOCK_SUFFIX = ".lock";
  /** How often an initialised store looks for partials of owners that died meanwhile. */
  static final long DEAD_OWNER_SWEEP_MS = 30_000;

  public record StoredBlob(String sha256, long size) {}

  private final Vertx vertx;
  private final FileSystem fs;
  private final Path root;
  private final Path tmp;
  private final String owner = UUID.randomUUID().toString();
  /** Where new part files go: {@code tmp/<owner>} once {@link #init()} holds the lock, {@code tmp} before. */
  private volatile Path partDir;
  /** Held for the life of the process: the lock is the "owner alive" signal, never released on purpose. */
  private FileLock ownerLock;

  public BlobStore(Vertx vertx, String attachmentsDir) {
    this.vertx = vertx;
    this.fs = vertx.fileSystem();
    this.root = Path.of(attachmentsDir).toAbsolutePath().normalize();
    this.tmp = root.resolve("tmp");
    this.partDir = tmp;
  }

  /**
   * Creates the directory tree and takes this store's owner lock; call once before writing. Also
   * sweeps dead owners' partials every {@link #DEAD_OWNER_SWEEP_MS} (a timer of the calling
   * verticle, cancelled when it is undeployed).
   */
  public Future<Void> init() {
    return fs.mkdirs(tmp.toString())
        .compose(v -> vertx.<Void>executeBlocking(() -> {
          lockOwnDir();
          // loading the native digest reads its library from the jar: a blocking first use, done here
          log.info("attachments are hashed (SHA-256) with {}", Sha256.implementation());
          return null;
        }, false))
        .onSuccess(v -> vertx.setPeriodic(DEAD_OWNER_SWEEP_MS, DEAD_OWNER_SWEEP_MS, t -> removeDeadOwners()));
  }

  private synchronized void lockOwnDir() throws IOException {
    if (ownerLock != null) return;
    // Locked under a name no sweeper looks at, then renamed (the inode and its lock stay): a sweeper
    // can never catch the lock file between its creation and its locking and take this owner for dead.
    Path fresh = tmp.resolve(owner + LOCK_SUFFIX + ".new");
    FileChannel channel = FileChannel.open(fresh, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    FileLock lock = channel.tryLock();
    if (lock == null) {
      channel.close();
      throw new IOException("could not lock " + fresh);
    }
    Files.move(fresh, tmp.resolve(owner + LOCK_SUFFIX), StandardCopyOption.ATOMIC_MOVE);
    Path dir = tmp.resolve(owner);
    Files.createDirectories(dir);
    ownerLock = lock;
    partDir = dir;
  }

  /** Starts a new blob: its {@code .part} file is created with its first bytes, and it rejects bytes past {@code maxBytes}. */
  public BlobWriter newWriter(long maxBytes) {
    return new BlobWriter(vertx, this, partDir.resolve(UUID.randomUUID() + PART_SUFFIX), maxBytes);
  }

  /**
   * Removes partials left by a crash: every partial of an owner whose process is gone, and loose
   * ones (from stores that never took a lock) older than {@link #DEFAULT_PARTIAL_GRACE}.
   */
  public Future<Void> cleanPartials() {
    return removeDeadOwners().compose(n -> cleanPartials(DEFAULT_PARTIAL_GRACE));
  }

  /** Deletes the part directories of owners whose lock is free (their process died); the number of files removed. */
  public Future<Integer> removeDeadOwners() {
    return vertx.executeBlocking(this::removeDeadOwnersBlocking, false)
        .onSuccess(n -> { if (n > 0) log.info("removed {} partial attachment file(s) of dead instances", n); })
        .onFailure(e -> log.warn("sweeping dead instances' partial files failed: {}", e.toString()));
  }

  private int removeDeadOwnersBlocking() throws IOException {
    if (!Files.isDirectory(tmp)) return 0;
    int removed = 0;
    try (DirectoryStream<Path> locks = Files.newDirectoryStream(tmp, "*" + LOCK_SUFFIX)) {
      for (Path lockFile : locks) {
        String name = lockFile.getFileName().toString();
        String other = name.substring(0, name.length() - LOCK_SUFFIX.length());
        if (other.equals(owner)) continue;
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE); FileLock held = ch.tryLock()) {
          if (held == null) continue; // its process is alive (here or on another host sharing the volume)
          removed += deleteTree(tmp.resolve(other));
          Files.deleteIfExists(lockFile);
        } catch (OverlappingFileLockException aliveInThisJvm) {
          // another store of this very JVM holds it
        } catch (NoSuchFileException goneMeanwhile) {
          // another sweeper got there first
        }
      }
    }
    return removed;
  }

  private static int deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return 0;
    int parts = 0;
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        if (p.toString().endsWith(PART_SUFFIX)) parts++;
        Files.deleteIfExists(p);
      }
    }
    return parts;
  }

  /** Removes {@code .part} files not modified within {@code olderThan} ({@code Duration.ZERO}: all). */
  public Future<Void> cleanPartials(Duration olderThan) {
    long cutoff = System.currentTimeMillis() - olderThan.toMillis();
    return fs.exists(tmp.toString()).compose(exists -> {
      if (!exists) return Future.succeededFuture();
      return fs.readDir(tmp.toString(), ".*" + Pattern.quote(PART_SUFFIX)).compose(paths -> {
        List<Future<Void>> deletions = new ArrayList<>();
        for (String p : paths) deletions.add(deleteIfStale(p, cutoff));
        return Future.join(deletions).<Void>mapEmpty()
            .onSuccess(v -> { if (!paths.isEmpty()) log.info("checked {} partial attachment file(s) in {}", paths.size(), tmp); });
      });
    });
  }

  private Future<Void> deleteIfStale(String path, long cutoff) {
    return fs.props(path)
        .compose(props -> props.lastModifiedTime() <= cutoff ? fs.delete(path) : Future.<Void>succeededFuture())
        .recover(e -> Future.succeededFuture()); // already gone: another instance cleaned it
  }

  public static boolean isSha256(String s) {
    return s != null && SHA256_HEX.matcher(s).matches();
  }

  /** The final path of a blob; refuses anything but 64 lower-case hex digits so no caller can escape the root. */
  public String pathOf(String sha256) {
    if (!isSha256(sha256)) throw new IllegalArgumentException("not a SHA-256 hex digest");
    return root.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2, 4)).resolve(sha256).toString();
  }

  public Future<Boolean> exists(String sha256) {
    if (!isSha256(sha256)) return Future.succeededFuture(false);
    return fs.exists(pathOf(sha256));
  }

  /** The blob opened read-only; fails when it does not exist. The caller closes it. */
  public Future<AsyncFile> open(String sha256) {
    if (!isSha256(sha256)) return Future.failedFuture(new IllegalArgumentException("not a SHA-256 hex digest"));
    return fs.open(pathOf(sha256), new OpenOptions().setRead(true).setWrite(false).setCreate(false));
  }

  /**
   * Streams the blob as the response body (zero-copy where the platform allows). The caller sets
   * Content-Type and status first; fails without writing anything when the blob is missing.
   */
  public Future<Void> sendTo(String sha256, HttpServerResponse response) {
    if (!isSha256(sha256)) return Future.failedFuture(new IllegalArgumentException("not a SHA-256 hex digest"));
    String path = pathOf(sha256);
    return fs.props(path).compose(props -> response.sendFile(path, 0, props.size()));
  }

  /** On a worker: moves a finished, synced part file to its content address; a twin already there wins. */
  StoredBlob publishBlocking(Path part, String sha256, long size) throws IOException {
    Path target = Path.of(pathOf(sha256));
    if (Files.exists(target)) {
      Files.deleteIfExists(part);
    } else {
      Files.createDirectories(target.getParent());
      try {
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (java.nio.file.FileAlreadyExistsException twin) {
        Files.deleteIfExists(part);
      }
    }
    return new StoredBlob(sha256, size);
  }
}
