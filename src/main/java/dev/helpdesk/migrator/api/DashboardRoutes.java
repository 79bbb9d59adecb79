package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.accounts.MigrationStatus;
import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.ops.Meters;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

/**
 * The operators' dashboard: its static page ({@code /dashboard/}, no credential: the page holds no
 * data and asks for the admin token, which it sends only on its API calls) and the one JSON
 * document it polls, {@code GET /v1/ops/overview} (operators only). The dead-letter list and its
 * retry are the ordinary operator routes.
 *
 * <p>The overview is computed at most once per {@link #CACHE_MS} per instance, however many pages
 * are open: each computation runs four small queries on the service's pool and asks the job runner
 * for the media breaker, which also makes it probe DynamoDB once.
 */
final class DashboardRoutes {
  static final String MOUNT = "/dashboard/";
  static final long CACHE_MS = 1000;
  /** Rows of the running and dead-letter tables; the totals beside them say how many there are. */
  static final int MAX_ROWS = 100;
  /** Throughput is sampled once a second; the rate is taken over the last {@code WINDOW_S} seconds. */
  static final int WINDOW_S = 10;
  static final int SERIES_S = 60;

  /**
   * Page assets are same-origin files only: no inline script or style can run, so a value from the
   * data that somehow reached the markup still could not execute. The token never leaves through a
   * form or a frame.
   */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  static final String BY_STATUS = "select migration_status, count(*) as n from accounts group by migration_status";

  // Running and paused accounts with their live job, if any: a paused run keeps its job row queued
  // without a lease, a run between owners has an expired lease. Ordered by id so rows keep their
  // place from one poll to the next.
  static final String RUNNING = """
      select a.account_id, a.name, a.migration_status, a.progress, a.updated_at,
             j.job_id, j.state as job_state, j.phase as job_phase, j.lease_owner, j.lease_until,
             (j.lease_until is not null and j.lease_until > now()) as lease_live, j.attempts,
             count(*) over () as total
        from accounts a
        left join migration_jobs j on j.account_id = a.account_id and j.state in ('queued', 'running')
       where a.migration_status in ('migrating', 'channels_only', 'recent_messages_only', 'paused')
       order by a.account_id
       limit $1
      """;

  // Served by the dead_letters_open partial index: only open letters are read.
  static final String DEAD_LETTERS = """
      select d.account_id, a.migration_status, d.open, d.last_failed_at, count(*) over () as total
        from (select account_id, count(*) as open, max(last_failed_at) as last_failed_at
                from dead_letters
               where resolved_at is null
               group by account_id) d
        join accounts a on a.account_id = d.account_id
       order by d.open desc, d.account_id
       limit $1
      """;

  static final String LIVE_INSTANCES =
      "select count(*) as live from instances where seen_at > now() - $1 * interval '1 millisecond'";

  private final Vertx vertx;
  private final Pool pool;
  private final long queryTimeoutMs;
  private final long liveWindowMs;
  private final long[] samples = new long[SERIES_S + 1];
  private int sampled;
  private Future<JsonObject> cached;
  private long cachedAtMs;

  DashboardRoutes(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.pool = Database.pool(vertx, settings.pg());
    this.queryTimeoutMs = settings.pg().queryTimeoutMs();
    // the job runner's own notion of a live instance (its read-rate share counts the same way)
    this.liveWindowMs = 3 * settings.migration().heartbeatMs();
    // set from the API verticle's context: undeploying it cancels the timer
    vertx.setPeriodic(1000, t -> sample());
  }

  /** The page's files, with a strict CSP; {@code /dashboard} without the slash is sent to the page. */
  Handler<RoutingContext> page() {
    StaticHandler files = StaticHandler.create("webroot/dashboard")
        .setDirectoryListing(false)
        .setIncludeHidden(false)
        // a new deployment's page reaches open browsers within a minute
        .setMaxAgeSeconds(60);
    return ctx -> {
      if (!ctx.normalizedPath().startsWith(MOUNT)) {
        ctx.redirect(MOUNT);
        return;
      }
      ctx.response().headers()
          .set("Content-Security-Policy", CSP)
          .set("X-Content-Type-Options", "nosniff")
          .set("Referrer-Policy", "no-referrer")
          .set("X-Frame-Options", "DENY");
      files.handle(ctx);
    };
  }

  void overview(RoutingContext ctx) {
    long now = System.currentTimeMillis();
    if (cached == null || now - cachedAtMs >= CACHE_MS || cached.failed()) {
      cachedAtMs = now;
      cached = compute();
    }
    cached.recover(ThreadRoutes::unavailable)
        .onSuccess(body -> {
          ctx.response().putHeader("Cache-Control", "no-store");
          Json.send(ctx, 200, body);
        })
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> compute() {
    Future<JsonObject> statuses = bounded(pool.query(BY_STATUS).execute()).map(DashboardRoutes::byStatus);
    Future<JsonObject> running = bounded(pool.preparedQuery(RUNNING).execute(Tuple.of(MAX_ROWS)))
        .map(DashboardRoutes::running);
    Future<JsonObject> letters = bounded(pool.preparedQuery(DEAD_LETTERS).execute(Tuple.of(MAX_ROWS)))
        .map(DashboardRoutes::deadLetters);
    Future<Long> instances = bounded(pool.preparedQuery(LIVE_INSTANCES).execute(Tuple.of(liveWindowMs)))
        .map(rows -> rows.iterator().next().getLong("live"));
    // the breakers are reported, never required: an unanswered bus request shows UNKNOWN
    Future<String> conversations = Bus.request(vertx, Bus.CONVERSATIONS_STATE, new JsonObject(), 2000)
        .map(s -> s.getString("breaker", "UNKNOWN")).otherwise("UNKNOWN");
    Future<JsonObject> jobs = Bus.request(vertx, Bus.JOBS_HEALTH, new JsonObject(), 2000)
        .otherwise(new JsonObject());
    JsonObject throughput = throughput();
    return Future.all(statuses, running, letters, instances, conversations, jobs).map(all -> new JsonObject()
        .put("generatedAt", iso(OffsetDateTime.now()))
        .put("migrations", statuses.result())
        .put("running", running.result())
        .put("deadLetters", letters.result())
        .put("throughput", throughput)
        .put("breakers", new JsonObject()
            .put("conversations", conversations.result())
            .put("media", jobs.result().getString("media", "UNKNOWN")))
        .put("dynamodb", jobs.result().getString("dynamodb", "UNKNOWN"))
        .put("instances", new JsonObject()
            .put("live", instances.result())
            .put("jobsHeldHere", jobs.result().getInteger("jobsHeld"))));
  }

  /** Every status of CONTRACT §3.2, zero when no account has it, so the page's tiles never move. */
  private static JsonObject byStatus(RowSet<Row> rows) {
    JsonObject counts = new JsonObject();
    for (MigrationStatus s : MigrationStatus.values()) counts.put(s.wire(), 0L);
    for (Row r : rows) counts.put(r.getString("migration_status"), r.getLong("n"));
    return counts;
  }

  private static JsonObject running(RowSet<Row> rows) {
    JsonArray items = new JsonArray();
    long total = 0;
    for (Row r : rows) {
      total = r.getLong("total");
      JsonObject job = null;
      if (r.getLong("job_id") != null) {
        job = new JsonObject()
            .put("jobId", r.getLong("job_id"))
            .put("state", r.getString("job_state"))
            .put("phase", r.getString("job_phase"))
            .put("leaseOwner", Boolean.TRUE.equals(r.getBoolean("lease_live")) ? r.getString("lease_owner") : null)
            .put("leaseUntil", iso(r.getOffsetDateTime("lease_until")))
            .put("attempts", r.getInteger("attempts"));
      }
      items.add(new JsonObject()
          .put("accountId", r.getString("account_id"))
          .put("name", r.getString("name"))
          .put("migrationStatus", r.getString("migration_status"))
          .put("progress", r.getValue("progress"))
          .put("updatedAt", iso(r.getOffsetDateTime("updated_at")))
          .put("job", job));
    }
    return new JsonObject().put("items", items).put("total", total);
  }

  private static JsonObject deadLetters(RowSet<Row> rows) {
    JsonArray items = new JsonArray();
    long total = 0;
    for (Row r : rows) {
      total = r.getLong("total");
      items.add(new JsonObject()
          .put("accountId", r.getString("account_id"))
          .put("migrationStatus", r.getString("migration_status"))
          .put("open", r.getLong("open"))
          .put("lastFailedAt", iso(r.getOffsetDateTime("last_failed_at"))));
    }
    return new JsonObject().put("items", items).put("accounts", total);
  }

  /**
   * Messages this instance committed, per second over the last minute (oldest first), and the rate
   * over the last {@link #WINDOW_S} seconds. Per instance, like the counter it is read from: the
   * database keeps no commit time per message, and an overview must not count the messages table.
   */
  private JsonObject throughput() {
    int n = Math.min(sampled, SERIES_S + 1);
    JsonArray series = new JsonArray();
    for (int i = 0; i + 1 < n; i++) {
      series.add(at(sampled - n + i + 1) - at(sampled - n + i));
    }
    int window = Math.min(WINDOW_S, n - 1);
    double rate = window <= 0 ? 0 : (double) (at(sampled - 1) - at(sampled - 1 - window)) / window;
    return new JsonObject()
        .put("scope", "instance")
        .put("windowSeconds", window)
        .put("messagesPerSecond", Math.round(rate * 10) / 10.0)
        .put("messagesPerSecondLastMinute", series);
  }

  private void sample() {
    Counter c = Meters.registry().find("migrator_items_migrated").tag("kind", "message").counter();
    samples[sampled % samples.length] = c == null ? 0 : (long) c.count();
    sampled++;
  }

  /** The {@code i}-th sample ever taken; only the last {@code SERIES_S + 1} are kept. */
  private long at(int i) {
    return samples[i % samples.length];
  }

  private <T> Future<T> bounded(Future<T> query) {
    return query.timeout(queryTimeoutMs, TimeUnit.MILLISECONDS);
  }

  private static String iso(OffsetDateTime t) {
    return t == null ? null : t.toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
