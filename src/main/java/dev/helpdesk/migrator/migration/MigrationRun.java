package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import dev.helpdesk.migrator.accounts.MigrationStatus;
import dev.helpdesk.migrator.ops.JobLog;
import dev.helpdesk.migrator.ops.Meters;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Runs one claimed job through its phases in order, starting at the phase its checkpoint
 * names, so a resumed job skips what is already committed. Phases that need an account slot
 * wait for one; the channels phase never does.
 */
final class MigrationRun {
  private static final Logger log = LoggerFactory.getLogger(MigrationRun.class);

  private final Pool pool;
  private final List<Phase> phases;
  private final Slots slots;

  MigrationRun(Pool pool, List<Phase> phases, Slots slots) {
    this.pool = pool;
    this.phases = phases;
    this.slots = slots;
  }

  Future<Void> execute(Job job) {
    JobLog.of(log.atInfo(), job.accountId(), job.jobId(), job.phase())
        .log("account {} job {}: running from phase {} (epoch {})", job.accountId(), job.jobId(), job.phase(), job.epoch());
    boolean[] holding = {false};
    String[] at = {job.phase()}; // the phase running now, for the log lines of the run's end
    return Revival.apply(pool, job)
        .compose(resumed -> statusOf(resumed).compose(v -> runFrom(resumed, holding, at)))
        .compose(done -> pool.withTransaction(tx -> JobStore.end(tx, done, true)))
        .onSuccess(v -> JobLog.of(log.atInfo(), job.accountId(), job.jobId(), at[0])
            .log("account {} job {}: done", job.accountId(), job.jobId()))
        .recover(t -> handle(job, t, at[0]))
        .onComplete(ar -> {
          if (holding[0]) slots.release();
        });
  }

  /**
   * A failed run that is resumed restarts as migrating while its job may be past channels or
   * recent: the status catches up with the job before anything else is written.
   */
  private Future<Void> statusOf(Job job) {
    MigrationStatus expected = switch (job.phase()) {
      case ChannelsPhase.NAME -> null;
      case "recent" -> MigrationStatus.CHANNELS_ONLY;
      default -> MigrationStatus.RECENT_MESSAGES_ONLY;
    };
    if (expected == null) return Future.succeededFuture();
    return pool.withTransaction(tx -> AccountTransitions.resumeAt(tx, job.accountId(), expected)
        .compose(v -> JobStore.checkpoint(tx, job, job.phase(), job.checkpoint())));
  }

  private Future<Job> runFrom(Job job, boolean[] holding, String[] at) {
    for (Phase phase : phases) {
      if (!phase.name().equals(job.phase())) continue;
      Future<Void> slot = Future.succeededFuture();
      if (phase.needsSlot() && !holding[0]) {
        slot = slots.acquire().onSuccess(v -> holding[0] = true);
      }
      return slot.compose(v -> {
        at[0] = phase.name();
        long started = System.currentTimeMillis();
        return phase.run(job).onComplete(ar -> Meters.phase(phase.name(), started, ar.succeeded()))
            .onSuccess(next -> JobLog.of(log.atInfo(), job.accountId(), job.jobId(), phase.name()).log("account {} job {}: phase {} done in {} ms, counts {}",
                job.accountId(), job.jobId(), phase.name(), System.currentTimeMillis() - started,
                next.checkpoint() == null ? null : next.checkpoint().getJsonObject("counts")));
      }).compose(next -> runFrom(next, holding, at));
    }
    return Future.succeededFuture(job);
  }

  private Future<Void> handle(Job job, Throwable t, String phase) {
    if (t instanceof JobStore.LeaseLost) {
      JobLog.of(log.atInfo(), job.accountId(), job.jobId(), phase).log("account {} job {}: lease lost, leaving the job to its new owner", job.accountId(), job.jobId());
      return Future.succeededFuture();
    }
    if (t instanceof JobStore.AccountLeft) {
      JobLog.of(log.atInfo(), job.accountId(), job.jobId(), phase).log("account {} job {}: the account left the run (paused or stopped); the job waits at its checkpoint",
          job.accountId(), job.jobId());
      return Future.succeededFuture();
    }
    if (t instanceof RunFailure failure) {
      JobLog.of(log.atWarn(), job.accountId(), job.jobId(), phase).log("account {} job {}: failed: {}", job.accountId(), job.jobId(), failure.getMessage());
      return pool.withTransaction(tx -> Revival.mark(tx, job)
              .compose(v -> JobStore.end(tx, job, false))
              .compose(v -> failure.progress() == null ? Future.succeededFuture(true)
                  : AccountTransitions.progress(tx, job.accountId(), failure.progress()))
              .compose(v -> AccountTransitions.fail(tx, job.accountId(), failure.getMessage())))
          .mapEmpty();
    }
    // Anything else (database down, a bug): the job keeps its lease, which is no longer renewed; once
    // it expires a claim resumes the job from its checkpoint. Handing it back at once would retry a
    // persistent fault in a tight loop.
    JobLog.of(log.atError(), job.accountId(), job.jobId(), phase).setCause(t)
        .log("account {} job {}: interrupted; it resumes from its checkpoint once its lease expires", job.accountId(), job.jobId());
    return Future.succeededFuture();
  }
}
