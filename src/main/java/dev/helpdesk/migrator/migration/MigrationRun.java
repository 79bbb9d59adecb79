package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Runs one claimed job through its phases in order, starting at the phase its checkpoint
 * names, so a resumed job skips what is already committed.
 */
final class MigrationRun {
  private static final Logger log = LoggerFactory.getLogger(MigrationRun.class);

  private final Pool pool;
  private final JobStore jobs;
  private final List<Phase> phases;

  MigrationRun(Pool pool, JobStore jobs, List<Phase> phases) {
    this.pool = pool;
    this.jobs = jobs;
    this.phases = phases;
  }

  Future<Void> execute(Job job) {
    log.info("account {} job {}: running from phase {} (epoch {})", job.accountId(), job.jobId(), job.phase(), job.epoch());
    return runFrom(job)
        .compose(done -> pool.withTransaction(tx -> JobStore.end(tx, done, true)))
        .onSuccess(v -> log.info("account {} job {}: done", job.accountId(), job.jobId()))
        .recover(t -> handle(job, t));
  }

  private Future<Job> runFrom(Job job) {
    for (int i = 0; i < phases.size(); i++) {
      if (phases.get(i).name().equals(job.phase())) {
        int next = i;
        return phases.get(next).run(job).compose(this::runFrom);
      }
    }
    return Future.succeededFuture(job);
  }

  private Future<Void> handle(Job job, Throwable t) {
    if (t instanceof JobStore.LeaseLost) {
      log.info("account {} job {}: lease lost, leaving the job to its new owner", job.accountId(), job.jobId());
      return Future.succeededFuture();
    }
    if (t instanceof RunFailure failure) {
      log.warn("account {} job {}: failed: {}", job.accountId(), job.jobId(), failure.getMessage());
      return pool.withTransaction(tx -> JobStore.end(tx, job, false)
              .compose(v -> AccountTransitions.fail(tx, job.accountId(), failure.getMessage())))
          .mapEmpty();
    }
    // Anything else (database down, a bug): hand the job back; the next claim resumes it from its checkpoint.
    log.error("account {} job {}: interrupted, handing the job back", job.accountId(), job.jobId(), t);
    return jobs.release(job).otherwiseEmpty();
  }
}
