package dev.helpdesk.migrator.migration;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.List;

/**
 * Claims, leases and checkpoints of migration jobs. Leases expire by the database clock, so
 * instances with skewed clocks still agree on who owns a job.
 */
public final class JobStore {
  /** A write found that the job's lease is no longer ours: stop, another owner carries on. */
  public static final class LeaseLost extends RuntimeException {
    LeaseLost(long jobId) {
      super("lease on job " + jobId + " was lost", null, false, false);
    }
  }

  /**
   * The account left the running statuses under the run (an operator paused or stopped it):
   * the run stops without touching it; the job is claimable again only once the account runs.
   */
  public static final class AccountLeft extends RuntimeException {
    AccountLeft(String accountId) {
      super("account " + accountId + " is no longer running", null, false, false);
    }
  }

  /**
   * Up to $4 claimable jobs whose phase is one of $3 (one lane), most urgent first. Claiming in
   * batches matters when many accounts start at once: each waits for its channels behind the
   * claims before it.
   */
  private static final String CLAIM = """
      with picked as (
        select job_id from migration_jobs
        where (state = 'queued' or (state = 'running' and lease_until < now()))
          and phase = any($3)
          -- a paused account's job waits, checkpoint intact, until the account runs again
          and exists (select 1 from accounts a where a.account_id = migration_jobs.account_id
            and a.migration_status in ('migrating', 'channels_only', 'recent_messages_only'))
        order by priority, job_id
        limit $4
        for update skip locked)
      update migration_jobs j set state = 'running', lease_owner = $1,
        lease_until = now() + $2 * interval '1 millisecond', lease_epoch = j.lease_epoch + 1,
        attempts = j.attempts + 1, updated_at = now()
      from picked where j.job_id = picked.job_id
      returning j.job_id, j.account_id, j.force, j.priority, j.phase, j.checkpoint, j.recent_cutoff,
        j.run_started, j.lease_epoch""";

  private static final String RENEW = """
      update migration_jobs set lease_until = now() + $3 * interval '1 millisecond'
      where lease_owner = $1 and job_id = any($2) and state = 'running' and lease_until > now()
      returning job_id""";

  /** Every write of a run passes through this fence in its own transaction. */
  private static final String CHECKPOINT = """
      update migration_jobs set phase = $4, checkpoint = $5, updated_at = now()
      where job_id = $1 and lease_owner = $2 and lease_epoch = $3 and state = 'running' and lease_until > now()""";

  private static final String END = """
      update migration_jobs set state = $4, lease_owner = null, lease_until = null, updated_at = now()
      where job_id = $1 and lease_owner = $2 and lease_epoch = $3 and state = 'running'""";

  /** Hands a job back to the queue (shutdown, or a transient outage): the next claim resumes it. */
  private static final String RELEASE = """
      update migration_jobs set state = 'queued', lease_owner = null, lease_until = null, updated_at = now()
      where job_id = $1 and lease_owner = $2 and lease_epoch = $3 and state = 'running'""";

  /**
   * Hands a job back at a lane boundary (see {@link Lane}): not a new attempt, so the claim that
   * takes it up again is not counted as one either; attempts keep counting crashes, stops and outages.
   */
  private static final String HAND_BACK = """
      update migration_jobs set state = 'queued', lease_owner = null, lease_until = null,
        attempts = attempts - 1, updated_at = now()
      where job_id = $1 and lease_owner = $2 and lease_epoch = $3 and state = 'running'""";

  private static final String HEARTBEAT = """
      insert into instances (instance_id, seen_at) values ($1, now())
      on conflict (instance_id) do update set seen_at = now()""";

  /** Instances heard from within the window, this one included once it has heartbeated. */
  private static final String LIVE = """
      select count(*) as live from instances where seen_at > now() - $1 * interval '1 millisecond'""";

  private final Pool pool;
  private final String owner;
  private final long leaseTtlMs;

  public JobStore(Pool pool, String owner, long leaseTtlMs) {
    this.pool = pool;
    this.owner = owner;
    this.leaseTtlMs = leaseTtlMs;
  }

  public Pool pool() {
    return pool;
  }

  /** Up to {@code max} claimable jobs at one of {@code phases}, in the order they should start. */
  public Future<List<Job>> claim(List<String> phases, int max) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(owner, leaseTtlMs, phases.toArray(String[]::new), max))
        .map(rows -> {
          List<Job> claimed = new java.util.ArrayList<>();
          rows.forEach(r -> claimed.add(Job.from(r, owner)));
          claimed.sort(java.util.Comparator.comparingInt(Job::priority).thenComparingLong(Job::jobId));
          return claimed;
        });
  }

  /** Renews the leases of the jobs held; returns the ids still held. */
  public Future<List<Long>> renew(List<Long> jobIds) {
    return pool.preparedQuery(HEARTBEAT).execute(Tuple.of(owner))
        .compose(v -> pool.preparedQuery(RENEW).execute(Tuple.of(owner, jobIds.toArray(Long[]::new), leaseTtlMs)))
        .map(rows -> {
          List<Long> held = new java.util.ArrayList<>();
          rows.forEach(r -> held.add(r.getLong("job_id")));
          return held;
        });
  }

  /** How many instances heartbeated within {@code windowMs} (by the database clock); at least 1. */
  public Future<Integer> liveInstances(long windowMs) {
    return pool.preparedQuery(LIVE).execute(Tuple.of(windowMs))
        .map(rows -> (int) Math.max(1, rows.iterator().next().getLong("live")));
  }

  /** Records how far the run got, inside the caller's transaction; fails with LeaseLost when not ours. */
  public static Future<Void> checkpoint(SqlClient tx, Job job, String phase, JsonObject checkpoint) {
    return tx.preparedQuery(CHECKPOINT)
        .execute(Tuple.of(job.jobId(), job.owner(), job.epoch(), phase, checkpoint))
        .compose(r -> r.rowCount() == 1 ? Future.<Void>succeededFuture() : Future.failedFuture(new LeaseLost(job.jobId())));
  }

  public static Future<Void> end(SqlClient tx, Job job, boolean succeeded) {
    return tx.preparedQuery(END).execute(Tuple.of(job.jobId(), job.owner(), job.epoch(), succeeded ? "done" : "failed"))
        .compose(r -> r.rowCount() == 1 ? Future.<Void>succeededFuture() : Future.failedFuture(new LeaseLost(job.jobId())));
  }

  public Future<Void> release(Job job) {
    return pool.preparedQuery(RELEASE).execute(Tuple.of(job.jobId(), job.owner(), job.epoch())).mapEmpty();
  }

  static Future<Void> handBack(SqlClient client, Job job) {
    return client.preparedQuery(HAND_BACK).execute(Tuple.of(job.jobId(), job.owner(), job.epoch())).mapEmpty();
  }
}
