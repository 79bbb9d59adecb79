package dev.helpdesk.migrator;

import dev.helpdesk.migrator.config.ConfigException;
import dev.helpdesk.migrator.config.SettingsLoader;
import dev.helpdesk.migrator.ops.Logging;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code java -jar target/migrator.jar}: configuration from conf/config.json and the environment (CONTRACT §4, §5). */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  public static void main(String[] args) {
    long t0 = System.nanoTime();
    Vertx vertx = Migrator.newVertx();
    SettingsLoader.load(vertx)
        .compose(settings -> {
          Logging.apply(settings.ops());
          return Migrator.start(vertx, settings).map(m -> {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(m, settings.ops().shutdownTimeoutMs()), "shutdown"));
            return m;
          });
        })
        .onSuccess(m -> log.info("migrator ready on port {} in {} ms", m.port(), (System.nanoTime() - t0) / 1_000_000))
        .onFailure(t -> {
          // A configuration problem names its key; anything else is logged without secrets in the message.
          if (t instanceof ConfigException) System.err.println("refusing to start: " + t.getMessage());
          else log.error("refusing to start", t);
          vertx.close().onComplete(x -> System.exit(2));
        });
  }

  /**
   * SIGTERM: the API closes first (no new request), then the job runner stops claiming and hands its
   * jobs back (a batch in flight commits before the release or fails its lease fence) so another
   * instance resumes them at once, then the pools close with Vert.x. Past SHUTDOWN_TIMEOUT_MS the
   * process exits anyway; the jobs still held then come back when their lease expires.
   */
  private static void shutdown(Migrator migrator, long timeoutMs) {
    long t0 = System.nanoTime();
    CountDownLatch closed = new CountDownLatch(1);
    log.info("shutting down: handing jobs back and closing pools (at most {} ms)", timeoutMs);
    Vertx vertx = migrator.vertx();
    migrator.stop()
        .transform(ar -> {
          if (ar.failed()) log.warn("stopping the service failed: {}", ar.cause().toString());
          return vertx.close();
        })
        .onComplete(x -> closed.countDown());
    try {
      if (closed.await(timeoutMs, TimeUnit.MILLISECONDS)) {
        log.info("shut down in {} ms", (System.nanoTime() - t0) / 1_000_000);
      } else {
        log.warn("shutdown not finished after {} ms; exiting anyway", timeoutMs);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
