package dev.helpdesk.migrator.accounts;

import dev.helpdesk.migrator.accounts.StartRules.Origin;
import dev.helpdesk.migrator.bus.Bus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Accounts and the acceptance of runs, straight on PostgreSQL. */
public final class AccountStore {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AccountStore.class);
  private final Pool pool;
  private final long queryTimeoutMs;
  private final int recentDays;
  private final AccountCache cache;

  AccountStore(Pool pool, long queryTimeoutMs, int recentDays, AccountCache cache) {
    this.pool = pool;
    this.queryTimeoutMs = queryTimeoutMs;
    this.recentDays = recentDays;
    this.cache = cache;
  }

  public Future<JsonObject> upsert(String accountId, String name) {
    return changing(accountId, pool.preparedQuery(AccountSql.UPSERT).execute(Tuple.of(accountId, name)))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new JsonObject().put("created", row.getBoolean("created")).put("account", toJson(row));
        });
  }

  /** The account as GET shows it, possibly from the cache: shared, not to be changed. */
  public Future<JsonObject> get(String accountId) {
    return cache.get(accountId, () -> bounded(pool.preparedQuery(AccountSql.GET).execute(Tuple.of(accountId)))
        .compose(rows -> rows.size() == 0
            ? Future.failedFuture(Bus.notFound("account not found"))
            : Future.succeededFuture(toJson(rows.iterator().next()))));
  }

  public Future<JsonObject> getMany(List<String> accountIds) {
    return bounded(pool.preparedQuery(AccountSql.GET_MANY).execute(Tuple.of(accountIds.toArray(String[]::new))))
        .map(rows -> {
          Map<String, JsonObject> byId = new HashMap<>();
          for (Row row : rows) byId.put(row.getString("account_id"), toJson(row));
          JsonArray items = new JsonArray();
          accountIds.stream().distinct().map(byId::get).filter(a -> a != null).forEach(items::add);
          return new JsonObject().put("items", items);
        });
  }

  public Future<JsonObject> recordCheck(String accountId, boolean exists, Integer threadCount) {
    var query = exists
        ? pool.preparedQuery(AccountSql.MARK_EXISTS).execute(Tuple.of(accountId, threadCount))
        : pool.preparedQuery(AccountSql.MARK_NOT_NEEDED).execute(Tuple.of(accountId));
    return changing(accountId, query).compose(rows -> rows.size() == 0
        ? Future.failedFuture(Bus.notFound("account not found"))
        : Future.succeededFuture(toJson(rows.iterator().next())));
  }

  /**
   * Accepts a run if the account's status allows it, and queues its job in the same
   * transaction: the job row exists before anyone hears "accepted".
   */
  public Future<JsonObject> start(String accountId, Origin origin, boolean force) {
    String[] allowed = StartRules.acceptedFrom(origin, force).stream().map(MigrationStatus::wire).toArray(String[]::new);
    Instant now = Instant.now();
    JsonObject freshProgress = Progress.initial(now);
    Future<JsonObject> tx = pool.withTransaction(conn -> conn.preparedQuery(AccountSql.ACCEPT)
        .execute(Tuple.of(accountId, allowed, force, freshProgress))
        .compose(rows -> {
          if (rows.size() == 0) return Future.succeededFuture(null);
          Row row = rows.iterator().next();
          boolean resume = "failed".equals(row.getString("previous")) && !force;
          return queueJob(conn, accountId, origin, force, resume, now).map(jobId -> new JsonObject()
              .put("accountId", accountId).put("accepted", true)
              .put("migrationStatus", MigrationStatus.MIGRATING.wire()).putNull("reason").put("jobId", jobId));
        }));
    return changing(accountId, tx).compose(accepted -> accepted != null ? Future.succeededFuture(accepted) : refusal(accountId));
  }

  private Future<Long> queueJob(SqlConnection conn, String accountId, Origin origin, boolean force, boolean resume,
                                Instant now) {
    Future<RowSet<Row>> requeued = resume
        ? conn.preparedQuery(AccountSql.REQUEUE_FAILED_JOB).execute(Tuple.of(accountId, origin.priority))
        : Future.succeededFuture(null);
    return requeued.compose(rows -> {
      if (rows != null && rows.size() > 0) return Future.succeededFuture(rows.iterator().next().getLong("job_id"));
      long cutoff = now.minus(Duration.ofDays(recentDays)).toEpochMilli();
      return conn.preparedQuery(AccountSql.INSERT_JOB)
          .execute(Tuple.of(accountId, force, origin.priority, cutoff, now.toEpochMilli()))
          .map(r -> r.iterator().next().getLong("job_id"));
    });
  }

  private Future<JsonObject> refusal(String accountId) {
    return get(accountId).map(account -> {
      MigrationStatus current = MigrationStatus.fromWire(account.getString("migrationStatus"));
      return new JsonObject().put("accountId", accountId).put("accepted", false)
          .put("migrationStatus", current.wire()).put("reason", StartRules.refusalReason(current));
    });
  }

  /** A write of the account: whatever its outcome, the next read of it goes to PostgreSQL. */
  private <T> Future<T> changing(String accountId, Future<T> write) {
    return bounded(write).onComplete(ar -> cache.invalidate(accountId));
  }

  private <T> Future<T> bounded(Future<T> query) {
    return query.timeout(queryTimeoutMs, TimeUnit.MILLISECONDS)
        .recover(t -> {
          if (t instanceof Bus.ServiceException) return Future.failedFuture(t);
          log.warn("accounts store query failed: {}", t.toString());
          return Future.failedFuture(Bus.unavailable("database unavailable"));
        });
  }

  static JsonObject toJson(Row row) {
    Object progress = row.getValue("progress");
    Object reconciliation = row.getValue("reconciliation");
    return new JsonObject()
        .put("accountId", row.getString("account_id"))
        .put("name", row.getString("name"))
        .put("status", row.getString("status"))
        .put("migrationStatus", row.getString("migration_status"))
        .put("checked", row.getBoolean("checked"))
        .put("failureReason", row.getString("failure_reason"))
        .put("progress", progress)
        .put("reconciliation", reconciliation);
  }

  static List<String> strings(JsonArray array) {
    List<String> out = new ArrayList<>(array.size());
    for (Object o : array) out.add((String) o);
    return out;
  }
}
