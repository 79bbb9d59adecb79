package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import dev.helpdesk.migrator.accounts.MigrationStatus;
import dev.helpdesk.migrator.ops.JobLog;
import dev.helpdesk.migrator.ops.Meters;
import dev.helpdesk.migrator.source.ReadRateLimiter;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Runs one claimed job through its phases in order, starting at the phase its checkpoint
 * names, so a resumed job skips what is already committed. The job comes with a place in the
 * lane of that phase; moving on to another lane needs a place there, and without one the job goes
 * back to the queue, checkpoint intact, for whichever instance has room first.
 */
final class MigrationRun {
  private static final Logger log = LoggerFactory.getLogger(MigrationRun.class);

  private final Pool pool;
  private final List<Phase> phases;
  private final Lanes lanes;
  /** the DynamoDB client's one-time initialisation, done off the event loop: reading phases wait for it */
  private final Future<Void> sourceWarm;
  /** asks the runner to claim for the places free now */
  private final Runnable placeFreed;
  /** every account's DynamoDB reads: held while a channels phase runs, at most {@code inboxHoldMs} (0: never) */
  private final ReadRateLimiter reads;
  private final long inboxHoldMs;

  MigrationRun(Pool pool, List<Phase> phases, Lanes lanes, Future<Void> sourceWarm, Runnable placeFreed,
               ReadRateLimiter reads, long inboxHoldMs) {
    this.pool = pool;
    this.phases = phases;
    this.lanes = lanes;
    this.sourceWarm = sourceWarm;
    this.placeFreed = placeFreed;
    this.reads = reads;
    this.inboxHoldMs = inboxHoldMs;
  }

  /** Runs the job, which holds a place in {@code Lane.of(job.phase())}; completes when it ended or went back to the queue. */
  Future<Void> execute(Job job) {
    JobLog.of(log.atInfo(), job.accountId(), job.jobId(), job.phase())
        .log("account {} job {}: running from phase {} (epoch {})", job.accountId(), job.jobId(), job.phase(), job.epoch());
    Lane[] lane = {Lane.of(job.phase())};
    String[] at = {job.phase()}; // the phase running now, for the log lines of the run's end
    return Revival.apply(pool, job)
        .compose(resumed -> statusOf(resumed).compose(v -> runFrom(resumed, lane, at)))
        .compose(done -> done == null ? Future.<Void>succeededFuture() : pool.withTransaction(tx -> JobStore.end(tx, done, true))
            .onSuccess(v -> JobLog.of(log.atInfo(), job.accountId(), job.jobId(), at[0])
                .log("account {} job {}: done", job.accountId(), job.jobId())))
        .recover(t -> handle(job, t, at[0]))
        .onComplete(ar -> {
          if (lane[0] != null) lanes.give(lane[0], 1);
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

  /** The job as its last phase left it, or null when it went back to the queue before the end. */
  private Future<Job> runFrom(Job job, Lane[] lane, String[] at) {
    for (Phase phase : phases) {
      if (!phase.name().equals(job.phase())) continue;
      Lane needed = Lane.of(phase.name());
      if (needed != lane[0]) {
        lanes.give(lane[0], 1);
        lane[0] = null;
        boolean took = lanes.tryTake(needed);
        if (!took && needed == Lane.RECENT) lanes.recentWaiting();
        // the place just given up goes to a waiting job now, not after this job's hand-back round trip
        // (during which an idle place let whichever job came next jump the queue); after the take, so the
        // claim cannot take the place this job moves on to
        placeFreed.run();
        if (!took) {
          if (needed != Lane.RECENT) return handBack(job, needed);
          return handBack(job, needed).onComplete(ar -> lanes.recentHandedBack());
        }
        lane[0] = needed;
      }
      at[0] = phase.name();
      Future<Void> ready = needed == Lane.CHANNELS ? Future.succeededFuture() : sourceWarm;
      return ready.compose(v -> {
        long started = System.currentTimeMillis();
        // a customer waits for this inbox: the other accounts' reads pause until it is open
        Runnable release = needed == Lane.CHANNELS ? reads.hold(inboxHoldMs) : () -> {};
        return phase.run(job).onComplete(ar -> release.run())
            .onComplete(ar -> Meters.phase(phase.name(), started, ar.succeeded()))
            .onSuccess(next -> JobLog.of(log.atInfo(), job.accountId(), job.jobId(), phase.name())
                .log("account {} job {}: phase {} done in {} ms, counts {}", job.accountId(), job.jobId(), phase.name(),
                    System.currentTimeMillis() - started, next.checkpoint() == null ? null : next.checkpoint().getJsonObject("counts")));
      }).compose(next -> runFrom(next, lane, at));
    }
    return Future.succeededFuture(job);
  }

  private Future<Job> handBack(Job job, Lane full) {
    JobLog.of(log.atInfo(), job.accountId(), job.jobId(), job.phase())
        .log("account {} job {}: no room in lane {} here; the job goes back to the queue at phase {}",
            job.accountId(), job.jobId(), full, job.phase());
    return JobStore.handBack(pool, job).map(v -> (Job) null);
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
