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
import io.vertx.core.Future;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.util.ArrayList;
import java.util.List;

/**
 * The service as one unit: schema first, then the verticles, the API last so that the port
 * opens only when everything behind it is ready.
 */
public final class Migrator {
  private final Vertx vertx;
  private final ApiVerticle api;
  private final List<String> deployments = new ArrayList<>();

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
        .compose(v -> m.deploy(new AccountStoreVerticle(settings)))
        .compose(v -> m.deploy(new ConversationsVerticle(settings.conversations())))
        .compose(v -> m.deploy(new JobRunnerVerticle(settings)))
        .compose(v -> m.deploy(new BulkRunnerVerticle(settings)))
        .compose(v -> m.deploy(new MetricsVerticle(settings)))
        .compose(v -> m.deploy(new NotifierVerticle(settings)))
        .compose(v -> m.deploy(m.api))
        .map(v -> m);
  }

  private Future<Void> deploy(Deployable verticle) {
    return vertx.deployVerticle(verticle).onSuccess(deployments::add).mapEmpty();
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
