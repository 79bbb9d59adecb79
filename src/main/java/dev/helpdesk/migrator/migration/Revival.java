package dev.helpdesk.migrator.migration;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * A run that failed and is resumed (CONTRACT §3.3: an operator retries a failed account's dead
 * letters) tries its failed attachment copies again: they go back to pending, leave the dead
 * counts, and the run returns to its attachments phase if it had passed it. Without this the
 * resumed run would carry the same dead letters past the same threshold and fail again at once,
 * however healthy the media service is now. Dead-lettered threads and messages stay counted: they
 * are bad in the source, or retried one by one in place once the account completes.
 */
final class Revival {
  /** Set in the checkpoint when a run fails; the next claim of the job revives it. */
  static final String FLAG = "revive";

  private static final String MARK = """
      update migration_jobs set checkpoint = coalesce(checkpoint, '{}'::jsonb) || '{"revive": true}'::jsonb
      where job_id = $1 and lease_owner = $2 and lease_epoch = $3""";

  private static final String RETRY_ATTACHMENTS = """
      update attachments set state = 'pending', updated_at = now()
      where account_id = $1 and migrated_job = $2 and state = 'failed'
      returning attachment_id""";

  private Revival() {}

  static Future<Void> mark(io.vertx.sqlclient.SqlClient tx, Job job) {
    return tx.preparedQuery(MARK).execute(Tuple.of(job.jobId(), job.owner(), job.epoch())).mapEmpty();
  }

  /** The job as it resumes: unchanged unless it failed before, else revived in one fenced commit. */
  static Future<Job> apply(Pool pool, Job job) {
    JsonObject checkpoint = job.checkpoint();
    if (checkpoint == null || !checkpoint.getBoolean(FLAG, false)) return Future.succeededFuture(job);
    return pool.withTransaction(tx -> tx.preparedQuery(RETRY_ATTACHMENTS).execute(Tuple.of(job.accountId(), job.jobId()))
        .compose(rows -> {
          int retried = rows.size();
          Counts counts = Counts.from(checkpoint);
          counts.undead("attachment", retried);
          JsonObject next = checkpoint.copy();
          next.remove(FLAG);
          next.put("counts", counts.toJson());
          String phase = retried > 0 && ReconcilePhase.NAME.equals(job.phase()) ? AttachmentsPhase.NAME : job.phase();
          return JobStore.checkpoint(tx, job, phase, next).map(v -> job.at(phase, next));
        }));
  }
}
