package dev.helpdesk.migrator.notify;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code notifications} table (V3): events waiting to be posted, claimed by one instance at a time
 * into a lease that expires by the database clock. Every outcome is written only while the claim is
 * still ours (same owner, same attempt number), so an instance that paused past its lease cannot
 * overwrite what the instance that took over recorded.
 */
final class Outbox {
  /**
   * Dead-letter warnings, once per run (the account's latest job): every instance runs this, the
   * dedup key keeps one row. Only runs live or ended within the hour are looked at, and each account's
   * open letters are counted no further than the warning level, so the query stays small whatever the
   * history; the full count is taken only for the rows it inserts.
   */
  static final String DETECT_DEAD_LETTERS = """
      insert into notifications (kind, account_id, job_id, dedup_key, detail)
      select 'dead_letters', c.account_id, c.job_id, 'dead_letters:' || c.job_id,
        jsonb_build_object('deadLetters',
          (select count(*) from dead_letters d where d.account_id = c.account_id and d.resolved_at is null),
          'warnLevel', $1::bigint)
      from (
        select distinct on (j.account_id) j.account_id, j.job_id
        from migration_jobs j
        where j.state in ('queued', 'running') or j.updated_at > now() - interval '1 hour'
        order by j.account_id, j.job_id desc
      ) c
      where not exists (select 1 from notifications n where n.dedup_key = 'dead_letters:' || c.job_id)
        and (select count(*) from (select 1 from dead_letters d
             where d.account_id = c.account_id and d.resolved_at is null limit $1) x) >= $1
      on conflict (dedup_key) do nothing""";

  /**
   * Due events, oldest first. Events older than a day are left alone: they piled up while
   * notifications were off, and a burst of day-old alerts when they are turned on helps nobody.
   */
  static final String CLAIM = """
      update notifications n set lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond',
        attempts = n.attempts + 1
      where n.id in (
        select id from notifications
        where state = 'pending' and next_attempt_at <= now() and (lease_until is null or lease_until < now())
          and created_at > now() - interval '1 day'
        order by next_attempt_at, id
        limit $3
        for update skip locked)
      returning n.id, n.kind, n.account_id, n.job_id, n.detail, n.attempts, n.created_at""";

  private static final String FENCE = " where id = $1 and lease_owner = $2 and attempts = $3 and state = 'pending'";

  static final String SENT = """
      update notifications set state = 'sent', sent_at = now(), lease_owner = null, lease_until = null,
        last_error = null""" + FENCE;

  static final String RETRY_LATER = """
      update notifications set next_attempt_at = now() + $4 * interval '1 millisecond',
        lease_owner = null, lease_until = null, last_error = $5""" + FENCE;

  static final String GIVE_UP = """
      update notifications set state = 'given_up', lease_owner = null, lease_until = null, last_error = $4""" + FENCE;

  /** Kept a month for operators (and the dedup keys far longer than any run): then they go. */
  static final String PURGE = "delete from notifications where created_at < now() - interval '30 days'";

  record Event(long id, String kind, String accountId, Long jobId, JsonObject detail, int attempt,
               OffsetDateTime createdAt) {
    static Event from(Row r) {
      Object detail = r.getValue("detail");
      return new Event(r.getLong("id"), r.getString("kind"), r.getString("account_id"), r.getLong("job_id"),
          detail instanceof JsonObject j ? j : new JsonObject(), r.getInteger("attempts"),
          r.getOffsetDateTime("created_at"));
    }
  }

  private final Pool pool;
  private final String owner;
  private final long queryTimeoutMs;

  Outbox(Pool pool, String owner, long queryTimeoutMs) {
    this.pool = pool;
    this.owner = owner;
    this.queryTimeoutMs = queryTimeoutMs;
  }

  Future<Integer> detectDeadLetters(int warnLevel) {
    return bounded(pool.preparedQuery(DETECT_DEAD_LETTERS).execute(Tuple.of((long) warnLevel))).map(r -> r.rowCount());
  }

  Future<List<Event>> claim(long leaseMs, int limit) {
    return bounded(pool.preparedQuery(CLAIM).execute(Tuple.of(owner, leaseMs, limit))).map(rows -> {
      List<Event> events = new ArrayList<>();
      rows.forEach(r -> events.add(Event.from(r)));
      return events;
    });
  }

  /** True when the outcome was recorded; false when the claim was no longer ours. */
  Future<Boolean> sent(Event e) {
    return fenced(SENT, Tuple.of(e.id(), owner, e.attempt()));
  }

  Future<Boolean> retryLater(Event e, long delayMs, String error) {
    return fenced(RETRY_LATER, Tuple.of(e.id(), owner, e.attempt(), delayMs, error));
  }

  Future<Boolean> giveUp(Event e, String error) {
    return fenced(GIVE_UP, Tuple.of(e.id(), owner, e.attempt(), error));
  }

  Future<Integer> purge() {
    return bounded(pool.query(PURGE).execute()).map(r -> r.rowCount());
  }

  private Future<Boolean> fenced(String sql, Tuple args) {
    return bounded(pool.preparedQuery(sql).execute(args)).map(r -> r.rowCount() == 1);
  }

  private <T> Future<T> bounded(Future<T> query) {
    return query.timeout(queryTimeoutMs, TimeUnit.MILLISECONDS);
  }
}
