package dev.helpdesk.migrator;

import dev.helpdesk.migrator.accounts.AccountStoreVerticle;
import dev.helpdesk.migrator.api.ApiVerticle;
import dev.helpdesk.migrator.bulk.BulkRunnerVerticle;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.conversations.ConversationsVerticle;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.migration.JobRunnerVerticle;
import dev.helpdesk.migrator.notify.NotifierVerticle;
import dev.helpdesk.migrator.ops.Meters;
import dev.helpdesk.migrator.ops.MetricsVerticle;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The service as one unit: schema first, then the verticles, the API last so that the port
 * opens only when everything behind it is ready.
 */
public final class Migrator {
  private static final Logger log = LoggerFactory.getLogger(Migrator.class);
  /** The components that answer the app's status reads, which must not wait behind the job runner's batches. */
  private static final Map<String, String> STATUS_PATH = Map.of("accounts", "account store", "api", "API");

  private final Vertx vertx;
  private final ApiVerticle api;
  private final List<String> deployments = new ArrayList<>();
  /** Each deployed component's event-loop thread, in deployment order. */
  private final Map<String, String> loops = new LinkedHashMap<>();

  private Migrator(Vertx vertx, ApiVerticle api) {
    this.vertx = vertx;
    this.api = api;
  }

  /**
   * The Vert.x instance the service runs on. Its file system keeps class-path resolving: vertx-openapi
   * loads the JSON-Schema meta-schemas through it. That resolving costs every file operation a path
   * canonicalisation, so the blob store keeps its own hot path to one such operation per blob.
   */
  public static Vertx newVertx() {
    // Vert.x's own meters (HTTP server and clients, the SQL pool, the event bus, the JVM) go into the
    // registry that GET /metrics scrapes; the HTTP server's are labelled by route, never by raw path.
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .addLabels(Label.HTTP_ROUTE);
    return Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(metrics))
        .withMetrics(new MicrometerMetricsFactory(Meters.registry()))
        .build();
  }

  public static Future<Migrator> start(Vertx vertx, Settings settings) {
    Migrator m = new Migrator(vertx, new ApiVerticle(settings));
    return Database.migrateSchema(vertx, settings.pg())
        .compose(v -> m.deploy("accounts", new AccountStoreVerticle(settings)))
        .compose(v -> m.deploy("conversations", new ConversationsVerticle(settings.conversations())))
        .compose(v -> m.deploy("jobs", new JobRunnerVerticle(settings)))
        .compose(v -> m.deploy("bulk", new BulkRunnerVerticle(settings)))
        .compose(v -> m.deploy("metrics", new MetricsVerticle(settings)))
        .compose(v -> m.deploy("notifier", new NotifierVerticle(settings)))
        .compose(v -> m.deploy("api", m.api))
        .onSuccess(v -> m.logEventLoops())
        .map(v -> m);
  }

  /**
   * Deploys a component and notes the event loop Vert.x gave it. Vert.x hands its loops out in turn as
   * contexts are created and has no public way to choose one, so where each component runs follows from
   * every context created before it (README, Load tests, Session 15).
   */
  private Future<Void> deploy(String name, Deployable verticle) {
    String[] loop = new String[1];
    Deployable noted = new Deployable() {
      @Override
      public Future<?> deploy(Context context) throws Exception {
        loop[0] = Thread.currentThread().getName();
        return verticle.deploy(context);
      }

      @Override
      public Future<?> undeploy(Context context) throws Exception {
        return verticle.undeploy(context);
      }
    };
    return vertx.deployVerticle(noted).onSuccess(id -> {
      deployments.add(id);
      loops.put(name, loop[0]);
    }).mapEmpty();
  }

  /**
   * One line for whoever reads a slow status p99: the job runner on the loop of the account store or the
   * API made status answers wait behind batches (p99 230 against 36 ms, session 15).
   */
  private void logEventLoops() {
    log.info("event loops: {}", loops);
    String jobs = loops.get("jobs");
    STATUS_PATH.forEach((name, what) -> {
      if (Objects.equals(jobs, loops.get(name))) {
        log.warn("the job runner shares event loop {} with the {}: status answers will wait behind its batches", jobs, what);
      }
    });
  }

  /** Undeploys in reverse order: the API closes first, so no request reaches a stopped component. */
  public Future<Void> stop() {
    Future<Void> chain = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String id = deployments.get(i);
      chain = chain.compose(v -> vertx.undeploy(id));
    }
    return chain.onComplete(ar -> deployments.clear());
  }

  public int port() {
    return api.actualPort();
  }

  public Vertx vertx() {
    return vertx;
  }
}
