package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

import java.util.concurrent.TimeUnit;

/**
 * Liveness and readiness (CONTRACT §5). Readiness follows PostgreSQL only: a Conversations
 * outage is reported in the body but must not take every instance out of its load balancer.
 */
final class HealthRoutes {
  private static final long PROBE_TIMEOUT_MS = 2000;
  private final Vertx vertx;
  private final Pool pool;

  HealthRoutes(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.pool = Database.pool(vertx, settings.pg());
  }

  void live(RoutingContext ctx) {
    dependencies().onComplete(ar -> Json.send(ctx, 200, ar.result().put("status", "UP")));
  }

  void ready(RoutingContext ctx) {
    dependencies().onComplete(ar -> {
      JsonObject body = ar.result();
      boolean dbUp = "UP".equals(body.getJsonObject("postgresql").getString("status"));
      Json.send(ctx, dbUp ? 200 : 503, body.put("status", dbUp ? "UP" : "DOWN"));
    });
  }

  private Future<JsonObject> dependencies() {
    Future<JsonObject> db = pool.query("select 1").execute()
        .timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(r -> new JsonObject().put("status", "UP"))
        .otherwise(t -> new JsonObject().put("status", "DOWN"));
    Future<JsonObject> breaker = Bus.request(vertx, Bus.CONVERSATIONS_STATE, new JsonObject(), PROBE_TIMEOUT_MS)
        .map(s -> new JsonObject().put("breaker", s.getString("breaker")))
        .otherwise(t -> new JsonObject().put("breaker", "UNKNOWN"));
    return Future.join(db, breaker).transform(ar -> Future.succeededFuture(new JsonObject()
        .put("postgresql", db.result())
        .put("conversations", breaker.result())));
  }
}
