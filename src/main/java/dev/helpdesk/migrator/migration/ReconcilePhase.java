package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.ops.JobLog;
import dev.helpdesk.migrator.sink.DeadLetterSink;
import dev.helpdesk.migrator.sink.ForceCleanup;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The run's last step: the counts it committed must add up per kind (read = written + dead
 * letters), else the run fails rather than claim a completeness it cannot show. A force run then
 * removes the rows whose source items are gone; the account becomes completed with its
 * reconciliation in the same commit.
 */
final class ReconcilePhase implements Phase {
  private static final Logger log = LoggerFactory.getLogger(ReconcilePhase.class);
  static final String NAME = "reconcile";

  private final Pool pool;
  private final Settings.Migration settings;

  ReconcilePhase(Pool pool, Settings.Migration settings) {
    this.pool = pool;
    this.settings = settings;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<Job> run(Job job) {
    RunState state = new RunState(job, settings, "done");
    Counts counts = state.counts();
    List<String> mismatches = counts.mismatches();
    if (!mismatches.isEmpty()) {
      return Future.failedFuture(new RunFailure("reconciliation_mismatch: " + String.join("; ", mismatches)));
    }
    JsonObject checkpoint = state.checkpoint(counts, null);
    JsonObject progress = state.progress("done", counts);
    return pool.withTransaction(tx -> {
      Future<Void> cleanup = job.force()
          ? ForceCleanup.run(tx, job.accountId(), job.jobId()).map(removed -> {
              JobLog.of(log.atInfo(), job.accountId(), job.jobId(), NAME).log("account {} job {}: force run removed {} threads, {} messages, {} attachments gone from the source",
                  job.accountId(), job.jobId(), removed.threads(), removed.messages(), removed.attachments());
              return null;
            })
          : Future.succeededFuture();
      return cleanup
          .compose(v -> DeadLetterSink.resolveStale(tx, job.accountId(), job.jobId()))
          .compose(v -> AccountTransitions.complete(tx, job.accountId(), progress, counts.reconciliation()))
          .compose(ok -> ok ? JobStore.checkpoint(tx, job, "done", checkpoint)
              : Future.failedFuture(new JobStore.AccountLeft(job.accountId())));
    }).map(v -> job.at("done", checkpoint));
  }
}
