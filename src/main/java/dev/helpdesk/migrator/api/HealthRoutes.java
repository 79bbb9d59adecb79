package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

import java.util.concurrent.TimeUnit;

/**
 * Liveness and readiness (CONTRACT §5), as vertx-health-check procedures: {@code postgresql},
 * {@code dynamodb}, {@code conversations}, {@code breaker-conversations} and {@code breaker-media},
 * each reported in the body of both routes. Readiness follows PostgreSQL only (the routes are up
 * when this answers): a Conversations or DynamoDB outage is reported but must not take every
 * instance out of its load balancer. Liveness is 200 while the process answers.
 *
 * <p>Conversations is judged by its breaker, never by a probe request: a probe per health check
 * would add calls to the service the breaker protects (and to the breaker's count). DynamoDB is
 * probed by the job runner with a one-item Query, at most once every {@link #JOBS_CACHE_MS}.
 */
final class HealthRoutes {
  private static final long PROBE_TIMEOUT_MS = 2000;
  static final long JOBS_CACHE_MS = 2000;
  static final String POSTGRESQL = "postgresql";
  static final String DYNAMODB = "dynamodb";
  static final String CONVERSATIONS = "conversations";
  static final String BREAKER_CONVERSATIONS = "breaker-conversations";
  static final String BREAKER_MEDIA = "breaker-media";

  private final Vertx vertx;
  private final Pool pool;
  private final HealthChecks checks;
  private Future<JsonObject> jobs;
  private long jobsAtMs;
  private Future<String> breaker;

  HealthRoutes(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.pool = Database.pool(vertx, settings.pg());
    this.checks = HealthChecks.create(vertx)
        .register(POSTGRESQL, PROBE_TIMEOUT_MS, this::postgresql)
        .register(DYNAMODB, PROBE_TIMEOUT_MS, p -> jobs().onComplete(ar -> {
          JsonObject j = ar.succeeded() ? ar.result() : null;
          if (j == null) p.complete(Status.KO(new JsonObject().put("reason", "the job runner did not answer")));
          else if ("UP".equals(j.getString("dynamodb"))) p.complete(Status.OK());
          else p.complete(Status.KO(new JsonObject().put("reason", j.getString("dynamodbError", "probe failed"))));
        }))
        .register(CONVERSATIONS, PROBE_TIMEOUT_MS, p -> conversationsBreaker().onComplete(ar -> {
          String state = ar.result();
          JsonObject data = new JsonObject().put("breaker", state);
          p.complete("CLOSED".equals(state) ? Status.OK(data) : Status.KO(data));
        }))
        .register(BREAKER_CONVERSATIONS, PROBE_TIMEOUT_MS, p -> conversationsBreaker()
            .onComplete(ar -> p.complete(breaker(ar.result()))))
        .register(BREAKER_MEDIA, PROBE_TIMEOUT_MS, p -> jobs()
            .onComplete(ar -> p.complete(breaker(ar.succeeded() ? ar.result().getString("media") : "UNKNOWN"))));
  }

  void live(RoutingContext ctx) {
    check().onComplete(ar -> Json.send(ctx, 200, body(ar.result(), true)));
  }

  void ready(RoutingContext ctx) {
    check().onComplete(ar -> {
      boolean dbUp = up(ar.result(), POSTGRESQL);
      Json.send(ctx, dbUp ? 200 : 503, body(ar.result(), dbUp));
    });
  }

  private void postgresql(Promise<Status> p) {
    pool.query("select 1").execute()
        .timeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onSuccess(r -> p.complete(Status.OK()))
        .onFailure(t -> p.complete(Status.KO(new JsonObject().put("reason", t.getClass().getSimpleName()))));
  }

  /** CLOSED, OPEN or HALF_OPEN; UNKNOWN when the Conversations verticle does not answer. */
  private Future<String> conversationsBreaker() {
    return breaker;
  }

  /**
   * Asks the breaker's state once per health request, just before its checks start (they start
   * synchronously in checkStatus, on this event loop), so its two checks cannot disagree.
   */
  private Future<CheckResult> check() {
    breaker = Bus.request(vertx, Bus.CONVERSATIONS_STATE, new JsonObject(), PROBE_TIMEOUT_MS)
        .map(s -> s.getString("breaker"))
        .otherwise("UNKNOWN");
    return checks.checkStatus();
  }

  /** The job runner's answer (media breaker, DynamoDB probe), shared by the checks of one or more requests. */
  private Future<JsonObject> jobs() {
    long now = System.currentTimeMillis();
    if (jobs == null || now - jobsAtMs > JOBS_CACHE_MS) {
      jobsAtMs = now;
      jobs = Bus.request(vertx, Bus.JOBS_HEALTH, new JsonObject(), PROBE_TIMEOUT_MS);
    }
    return jobs;
  }

  /** A breaker is healthy unless it is open: half-open is letting a probe through. */
  private static Status breaker(String state) {
    JsonObject data = new JsonObject().put("state", state);
    return "OPEN".equals(state) || "UNKNOWN".equals(state) ? Status.KO(data) : Status.OK(data);
  }

  private static boolean up(CheckResult result, String id) {
    if (result == null || result.getChecks() == null) return false;
    return result.getChecks().stream().anyMatch(c -> id.equals(c.getId()) && Boolean.TRUE.equals(c.getUp()));
  }

  /**
   * {@code status} is the route's answer; {@code checks} lists every procedure as vertx-health-check
   * reports it ({@code id}, {@code status} UP/DOWN, {@code data}); {@code postgresql},
   * {@code dynamodb}, {@code conversations} and {@code breakers} repeat them by name.
   */
  private static JsonObject body(CheckResult result, boolean up) {
    JsonObject body = new JsonObject().put("status", up ? "UP" : "DOWN");
    JsonArray list = new JsonArray();
    JsonObject breakers = new JsonObject();
    if (result != null && result.getChecks() != null) {
      for (CheckResult c : result.getChecks()) {
        JsonObject check = c.toJson();
        list.add(check);
        String status = Boolean.TRUE.equals(c.getUp()) ? "UP" : "DOWN";
        JsonObject data = c.getData() == null ? new JsonObject() : c.getData();
        switch (c.getId()) {
          case POSTGRESQL, DYNAMODB -> body.put(c.getId(), data.copy().put("status", status));
          case CONVERSATIONS -> body.put(CONVERSATIONS, new JsonObject().put("status", status)
              .put("breaker", data.getString("breaker", "UNKNOWN")));
          case BREAKER_CONVERSATIONS -> breakers.put("conversations", data.getString("state", "UNKNOWN"));
          case BREAKER_MEDIA -> breakers.put("media", data.getString("state", "UNKNOWN"));
          default -> { }
        }
      }
    }
    return body.put("breakers", breakers).put("checks", list);
  }
}
