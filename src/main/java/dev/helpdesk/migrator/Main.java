package dev.helpdesk.migrator;

import dev.helpdesk.migrator.config.ConfigException;
import dev.helpdesk.migrator.config.SettingsLoader;
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
        .compose(settings -> Migrator.start(vertx, settings))
        .onSuccess(m -> {
          log.info("migrator ready on port {} in {} ms", m.port(), (System.nanoTime() - t0) / 1_000_000);
          Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(vertx), "shutdown"));
        })
        .onFailure(t -> {
          // A configuration problem names its key; anything else is logged without secrets in the message.
          if (t instanceof ConfigException) System.err.println("refusing to start: " + t.getMessage());
          else log.error("refusing to start", t);
          vertx.close().onComplete(x -> System.exit(2));
        });
  }

  /** SIGTERM: undeploying hands the runner's jobs back so another instance resumes them at once. */
  private static void shutdown(Vertx vertx) {
    CountDownLatch closed = new CountDownLatch(1);
    log.info("shutting down: handing jobs back and closing pools");
    vertx.close().onComplete(x -> closed.countDown());
    try {
      closed.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
