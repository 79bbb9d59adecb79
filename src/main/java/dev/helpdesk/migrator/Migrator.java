package dev.helpdesk.migrator;

import dev.helpdesk.migrator.accounts.AccountStoreVerticle;
import dev.helpdesk.migrator.api.ApiVerticle;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.conversations.ConversationsVerticle;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.migration.JobRunnerVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The service as one unit: schema first, then the verticles, the API last so that the port
 * opens only when everything behind it is ready.
 */
public final class Migrator {
  private final Vertx vertx;
  private final ApiVerticle api;

  private Migrator(Vertx vertx, ApiVerticle api) {
    this.vertx = vertx;
    this.api = api;
  }

  public static Future<Migrator> start(Vertx vertx, Settings settings) {
    ApiVerticle api = new ApiVerticle(settings);
    return Database.migrateSchema(vertx, settings.pg())
        .compose(v -> vertx.deployVerticle(new AccountStoreVerticle(settings)))
        .compose(v -> vertx.deployVerticle(new ConversationsVerticle(settings.conversations())))
        .compose(v -> vertx.deployVerticle(new JobRunnerVerticle(settings)))
        .compose(v -> vertx.deployVerticle(api))
        .map(v -> new Migrator(vertx, api));
  }

  public int port() {
    return api.actualPort();
  }

  public Vertx vertx() {
    return vertx;
  }
}
