package dev.helpdesk.migrator.bulk;

import dev.helpdesk.migrator.bus.Bus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Bulk runs in PostgreSQL (V5__operator_controls.sql): creating one with its accounts, its
 * progress, cancelling it. The driving is {@link BulkRunnerVerticle}'s.
 */
public final class BulkStore {
  private static final Logger log = LoggerFactory.getLogger(BulkStore.class);

  /** What GET shows for each entry: a started account counts by the status it has now. */
  static final List<String> COUNT_KEYS = List.of("queued", "started", "completed", "failed", "not_needed", "skipped", "cancelled");

  public record Entry(String accountId, String name) {}

  private static final String INSERT_RUN = """
      insert into bulk_runs (rate_per_sec, concurrency) values ($1, $2) returning bulk_id""";

  /** As POST /v1/accounts: created, or renamed when the name differs. */
  private static final String UPSERT_ACCOUNTS = """
      insert into accounts (account_id, name) select * from unnest($1::text[], $2::text[])
      on conflict (account_id) do update set name = excluded.name,
        updated_at = case when accounts.name is distinct from excluded.name then now() else accounts.updated_at end""";

  private static final String INSERT_ENTRIES = """
      insert into bulk_run_accounts (bulk_id, position, account_id)
      select $1, t.ord, t.id from unnest($2::text[]) with ordinality as t(id, ord)""";

  private static final String RUN = """
      select bulk_id, rate_per_sec, concurrency, state, created_at, finished_at from bulk_runs where bulk_id = $1""";

  private static final String COUNTS = """
      select case when e.state = 'starting' then 'started'
                  when e.state = 'started' then case a.migration_status
                    when 'completed' then 'completed' when 'failed' then 'failed' when 'not_needed' then 'not_needed'
                    when 'not_started' then 'skipped' else 'started' end
                  else e.state end as shown,
        count(*) as n
      from bulk_run_accounts e join accounts a on a.account_id = e.account_id
      where e.bulk_id = $1 group by 1""";

  private static final String CANCEL_RUN = """
      update bulk_runs set state = 'cancelled', finished_at = now(), lease_owner = null, lease_until = null,
        updated_at = now()
      where bulk_id = $1 and state = 'running'""";

  private static final String CANCEL_QUEUED = """
      update bulk_run_accounts set state = 'cancelled', finished_at = now() where bulk_id = $1 and state = 'queued'""";

  private final Pool pool;
  private final long queryTimeoutMs;

  public BulkStore(Pool pool, long queryTimeoutMs) {
    this.pool = pool;
    this.queryTimeoutMs = queryTimeoutMs;
  }

  /** The run, its accounts created (or renamed) and queued in list order, in one transaction. */
  public Future<JsonObject> create(List<Entry> entries, double ratePerSecond, int concurrency) {
    String[] ids = entries.stream().map(Entry::accountId).toArray(String[]::new);
    String[] names = entries.stream().map(Entry::name).toArray(String[]::new);
    Future<Long> tx = pool.withTransaction(conn -> conn.preparedQuery(INSERT_RUN)
        .execute(Tuple.of(ratePerSecond, concurrency))
        .map(rows -> rows.iterator().next().getLong("bulk_id"))
        .compose(id -> conn.preparedQuery(UPSERT_ACCOUNTS).execute(Tuple.of((Object) ids, (Object) names))
            .compose(v -> conn.preparedQuery(INSERT_ENTRIES).execute(Tuple.of(id, (Object) ids)))
            .map(id)));
    // a long list is a few large statements: more than one query's time
    return bounded(tx, queryTimeoutMs * 4).compose(this::status);
  }

  /** The run with its counts by state; NOT_FOUND when there is no such run. */
  public Future<JsonObject> status(long bulkId) {
    Future<JsonObject> work = pool.preparedQuery(RUN).execute(Tuple.of(bulkId)).compose(rows -> {
      if (rows.size() == 0) return Future.failedFuture(Bus.notFound("bulk run not found"));
      Row run = rows.iterator().next();
      return pool.preparedQuery(COUNTS).execute(Tuple.of(bulkId)).map(counted -> {
        JsonObject counts = new JsonObject();
        COUNT_KEYS.forEach(k -> counts.put(k, 0L));
        long total = 0;
        for (Row r : counted) {
          counts.put(r.getString("shown"), r.getLong("n"));
          total += r.getLong("n");
        }
        OffsetDateTime finished = run.getOffsetDateTime("finished_at");
        return new JsonObject()
            .put("bulkId", Long.toString(run.getLong("bulk_id")))
            .put("state", run.getString("state"))
            .put("ratePerSecond", run.getDouble("rate_per_sec"))
            .put("concurrency", run.getInteger("concurrency"))
            .put("total", total)
            .put("counts", counts)
            .put("createdAt", run.getOffsetDateTime("created_at").toInstant().toString())
            .put("finishedAt", finished == null ? null : finished.toInstant().toString());
      });
    });
    return bounded(work, queryTimeoutMs);
  }

  /**
   * No account of the run starts after this; its queued ones count as cancelled. Runs already
   * started carry on (an account's own cancel stops one). A repeat, or a finished run, changes nothing.
   */
  public Future<JsonObject> cancel(long bulkId) {
    Future<Void> tx = pool.withTransaction(conn -> conn.preparedQuery(CANCEL_RUN).execute(Tuple.of(bulkId))
        .compose(r -> r.rowCount() == 0 ? Future.<Void>succeededFuture()
            : conn.preparedQuery(CANCEL_QUEUED).execute(Tuple.of(bulkId)).mapEmpty()));
    return bounded(tx, queryTimeoutMs).compose(v -> status(bulkId));
  }

  private <T> Future<T> bounded(Future<T> work, long timeoutMs) {
    return work.timeout(timeoutMs, TimeUnit.MILLISECONDS).recover(t -> {
      if (t instanceof Bus.ServiceException) return Future.failedFuture(t);
      log.warn("bulk run query failed: {}", t.toString());
      return Future.failedFuture(Bus.unavailable("database unavailable"));
    });
  }
}
