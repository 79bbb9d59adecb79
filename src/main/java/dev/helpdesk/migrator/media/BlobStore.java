package dev.helpdesk.migrator.media;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.FileSystem;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Content-addressed files under ATTACHMENTS_DIR: {@code ab/cd/abcd...} named by the SHA-256 of the
 * bytes, so the same attachment copied twice (or by two instances on a shared volume) is one file.
 * Writers stream into {@code tmp/<uuid>.part} and move into place only once the bytes are on disk.
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

  public record StoredBlob(String sha256, long size) {}

  private final FileSystem fs;
  private final Path root;
  private final Path tmp;

  public BlobStore(Vertx vertx, String attachmentsDir) {
    this.fs = vertx.fileSystem();
    this.root = Path.of(attachmentsDir).toAbsolutePath().normalize();
    this.tmp = root.resolve("tmp");
  }

  /** Creates the directory tree; call once before use. */
  public Future<Void> init() {
    return fs.mkdirs(tmp.toString());
  }

  /** Starts a new blob: a fresh {@code .part} file that rejects bytes past {@code maxBytes}. */
  public Future<BlobWriter> newWriter(long maxBytes) {
    String part = tmp.resolve(UUID.randomUUID() + PART_SUFFIX).toString();
    return fs.mkdirs(tmp.toString())
        .compose(v -> fs.open(part, new OpenOptions().setWrite(true).setCreateNew(true)))
        .map(file -> new BlobWriter(this, file, part, maxBytes));
  }

  /** Removes partials left by a crash; only those older than {@link #DEFAULT_PARTIAL_GRACE}. */
  public Future<Void> cleanPartials() {
    return cleanPartials(DEFAULT_PARTIAL_GRACE);
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

  /** Moves a finished, synced part file to its content address; a twin already there wins. */
  Future<StoredBlob> publish(String part, String sha256, long size) {
    String target = pathOf(sha256);
    String dir = Path.of(target).getParent().toString();
    return fs.mkdirs(dir)
        .compose(v -> fs.exists(target))
        .compose(exists -> exists
            ? fs.delete(part)
            : fs.move(part, target, new CopyOptions().setAtomicMove(true)))
        .map(v -> new StoredBlob(sha256, size));
  }

  Future<Void> discard(String part) {
    return fs.delete(part).recover(e -> fs.exists(part)
        .compose(still -> still ? Future.failedFuture(e) : Future.succeededFuture()));
  }
}
