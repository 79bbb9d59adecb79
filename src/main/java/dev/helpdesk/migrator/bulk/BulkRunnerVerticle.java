package dev.helpdesk.migrator.bulk;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Drives the bulk runs: every {@link #TICK_MS} it takes (or renews) the lease of each running bulk
 * run no live instance holds ({@code FOR UPDATE SKIP LOCKED}, expiry by the database clock), and for
 * each one it holds: records how its started accounts ended, then starts as many queued accounts as
 * its rate and concurrency allow, each through the ordinary start path (origin {@code bulk}, claim
 * priority 2: after the app's and Conversations' runs).
 *
 * <p>Everything that decides the next start (pace, what is running) is in PostgreSQL and is read and
 * changed under the run's row lock, with the lease checked in the same statement, so a restart, a
 * take-over or two instances never start more than the rate and concurrency allow.
 */
public final class BulkRunnerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(BulkRunnerVerticle.class);
  static final long TICK_MS = 200;
  /** Starts never bunch up by more than this after a pause of the driver (a stall, a take-over). */
  static final long BURST_WINDOW_MS = 2 * TICK_MS;
  /** At most this many starts are begun per run and tick, whatever the rate. */
  static final int MAX_STARTS_PER_TICK = 200;

  private static final String CLAIM = """
      update bulk_runs b set lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond'
      where b.bulk_id in (
        select bulk_id from bulk_runs
        where state = 'running' and (lease_owner = $1 or lease_until is null or lease_until < now())
        order by bulk_id
        for update skip locked)
      returning b.bulk_id""";

  private static final String LOCK = """
      select rate_per_sec, concurrency, next_start_at, now() as now from bulk_runs
      where bulk_id = $1 and state = 'running' and lease_owner = $2 and lease_until > now()
      for update""";

  /**
   * Started accounts whose run ended are settled by the status they ended in. A started account found
   * not_started was purged under the run: it is skipped rather than holding a place for ever. A paused
   * one keeps its place until it is resumed or cancelled.
   */
  private static final String SETTLE = """
      update bulk_run_accounts e set finished_at = now(),
        state = case when a.migration_status = 'not_started' then 'skipped' else a.migration_status end,
        reason = case a.migration_status when 'failed' then a.failure_reason when 'not_started' then 'purged' end
      from accounts a
      where e.bulk_id = $1 and e.state = 'started' and a.account_id = e.account_id
        and a.migration_status in ('completed', 'failed', 'not_needed', 'not_started')""";

  /** A previous lease holder's unfinished starts go back to the queue (a repeated start is harmless). */
  private static final String REQUEUE_ORPHANS = """
      update bulk_run_accounts set state = 'queued', starter = null, started_at = null
      where bulk_id = $1 and state = 'starting' and starter is distinct from $2""";

  private static final String COUNT = """
      select count(*) filter (where state in ('starting', 'started')) as busy,
        count(*) filter (where state = 'queued') as queued
      from bulk_run_accounts where bulk_id = $1""";

  private static final String FINISH = """
      update bulk_runs set state = 'done', finished_at = now(), lease_owner = null, lease_until = null, updated_at = now()
      where bulk_id = $1""";

  private static final String PICK = """
      update bulk_run_accounts e set state = 'starting', starter = $2, started_at = now()
      from (select position from bulk_run_accounts where bulk_id = $1 and state = 'queued'
            order by position limit $3) p
      where e.bulk_id = $1 and e.position = p.position
      returning e.position, e.account_id""";

  private static final String PACE = "update bulk_runs set next_start_at = $2, updated_at = now() where bulk_id = $1";

  private static final String OUTCOME = """
      update bulk_run_accounts set state = $3, reason = $4,
        finished_at = case when $3 in ('started', 'queued') then null else now() end,
        starter = case when $3 = 'queued' then null else starter end,
        started_at = case when $3 = 'queued' then null else started_at end
      where bulk_id = $1 and position = $2 and state = 'starting' and starter = $5""";

  private static final String RELEASE = """
      update bulk_runs set lease_owner = null, lease_until = null where lease_owner = $1 and state = 'running'""";

  private final Settings settings;
  private final String instanceId = "bulk-" + UUID.randomUUID();
  private Pool pool;
  private long busTimeoutMs;
  private long checkBudgetMs;
  private boolean ticking;
  private boolean stopping;

  public BulkRunnerVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, settings.pg());
    var c = settings.conversations();
    checkBudgetMs = c.maxAttempts() * (c.timeoutMs() + c.backoffMaxMs());
    busTimeoutMs = settings.pg().queryTimeoutMs() + 1000;
    vertx.setPeriodic(TICK_MS, t -> tick());
    return Future.succeededFuture();
  }

  private void tick() {
    if (ticking || stopping) return;
    ticking = true;
    pool.preparedQuery(CLAIM).execute(Tuple.of(instanceId, settings.migration().leaseTtlMs()))
        .compose(rows -> {
          Future<Void> chain = Future.succeededFuture();
          for (Row r : rows) {
            long id = r.getLong("bulk_id");
            chain = chain.compose(v -> step(id).recover(t -> {
              log.warn("bulk run {}: step failed: {}", id, t.toString());
              return Future.succeededFuture();
            }));
          }
          return chain;
        })
        .onFailure(t -> log.warn("bulk runs: claiming failed: {}", t.toString()))
        .onComplete(ar -> ticking = false);
  }

  private record Picked(int position, String accountId) {}

  /** One pass over one bulk run; the starts it picks run on after it returns. */
  private Future<Void> step(long bulkId) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(bulkId, instanceId)).compose(rows -> {
      if (rows.size() == 0) return Future.succeededFuture(List.<Picked>of()); // lost the lease, or cancelled
      Row run = rows.iterator().next();
      return conn.preparedQuery(SETTLE).execute(Tuple.of(bulkId))
          .compose(v -> conn.preparedQuery(REQUEUE_ORPHANS).execute(Tuple.of(bulkId, instanceId)))
          .compose(v -> conn.preparedQuery(COUNT).execute(Tuple.of(bulkId)))
          .compose(counted -> {
            Row c = counted.iterator().next();
            long busy = c.getLong("busy");
            long queued = c.getLong("queued");
            if (busy == 0 && queued == 0) {
              log.info("bulk run {}: done", bulkId);
              return conn.preparedQuery(FINISH).execute(Tuple.of(bulkId)).map(List.<Picked>of());
            }
            return pick(conn, bulkId, run, busy, queued);
          });
    })).onSuccess(picked -> picked.forEach(p -> begin(bulkId, p))).mapEmpty();
  }

  /**
   * Starts due by the pace (one per 1/rate seconds since the last, at most {@link #BURST_WINDOW_MS}
   * of them caught up), within the concurrency left.
   */
  private Future<List<Picked>> pick(SqlConnection conn, long bulkId, Row run, long busy, long queued) {
    double rate = run.getDouble("rate_per_sec");
    int concurrency = run.getInteger("concurrency");
    OffsetDateTime now = run.getOffsetDateTime("now");
    OffsetDateTime next = run.getOffsetDateTime("next_start_at");
    OffsetDateTime base = next.isBefore(now.minus(Duration.ofMillis(BURST_WINDOW_MS)))
        ? now.minus(Duration.ofMillis(BURST_WINDOW_MS)) : next;
    long due = base.isAfter(now) ? 0 : (long) Math.floor(Duration.between(base, now).toNanos() / 1e9 * rate) + 1;
    long n = Math.min(Math.min(due, concurrency - busy), Math.min(queued, MAX_STARTS_PER_TICK));
    if (n <= 0) return Future.succeededFuture(List.of());
    OffsetDateTime after = base.plus(Duration.ofNanos((long) (n * 1e9 / rate)));
    return conn.preparedQuery(PICK).execute(Tuple.of(bulkId, instanceId, (int) n)).compose(rows -> {
      List<Picked> picked = new ArrayList<>();
      rows.forEach(r -> picked.add(new Picked(r.getInteger("position"), r.getString("account_id"))));
      picked.sort((a, b) -> Integer.compare(a.position, b.position));
      return conn.preparedQuery(PACE).execute(Tuple.of(bulkId, after)).map(picked);
    });
  }

  /**
   * The start path of the app: Conversations is asked first about an account it was never asked about
   * (a 404 makes it not_needed), then the start table decides. Anything that could not be asked now
   * (Conversations or the database down) puts the account back in the queue for a later turn.
   */
  private void begin(long bulkId, Picked p) {
    JsonObject id = new JsonObject().put("accountId", p.accountId);
    Bus.request(vertx, Bus.ACCOUNT_GET, id, busTimeoutMs)
        .compose(account -> "not_started".equals(account.getString("migrationStatus")) && !account.getBoolean("checked")
            ? Bus.request(vertx, Bus.CONVERSATIONS_CHECK, id.copy().put("budgetMs", checkBudgetMs), checkBudgetMs + 500)
                .compose(answer -> Bus.request(vertx, Bus.ACCOUNT_CHECKED, answer.copy().put("accountId", p.accountId), busTimeoutMs))
            : Future.succeededFuture(account))
        .compose(account -> Bus.request(vertx, Bus.MIGRATION_START,
            id.copy().put("origin", "bulk").put("force", false), busTimeoutMs))
        .map(answer -> {
          if (answer.getBoolean("accepted")) return new String[] {"started", null};
          String reason = answer.getString("reason");
          return switch (reason == null ? "" : reason) {
            // someone else's run: watched like ours until it ends
            case "already_running" -> new String[] {"started", reason};
            case "already_completed" -> new String[] {"completed", reason};
            case "not_needed" -> new String[] {"not_needed", reason};
            default -> new String[] {"skipped", reason};
          };
        })
        .otherwise(t -> {
          log.info("bulk run {}: {} could not be started now ({}); it goes back to the queue", bulkId, p.accountId, t.toString());
          return new String[] {"queued", null};
        })
        .compose(outcome -> pool.preparedQuery(OUTCOME)
            .execute(Tuple.of(bulkId, p.position, outcome[0], outcome[1], instanceId)))
        .onFailure(t -> log.warn("bulk run {}: recording the start of {} failed: {}", bulkId, p.accountId, t.toString()));
  }

  /** Hands the runs back so that another instance (or this one after a restart) drives them at once. */
  @Override
  public Future<?> stop() {
    stopping = true;
    return pool.preparedQuery(RELEASE).execute(Tuple.of(instanceId)).otherwiseEmpty();
  }
}
