package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.ops.Meters;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;

import java.util.Set;

/**
 * A phase's view of the run while it executes: the job, the committed counts and position
 * (updated only after each commit), and the progress pacing. Lives on the run's Vert.x context.
 */
final class RunState {
  private final Job job;
  private final Settings.Migration settings;
  private final String progressPhase;
  private final ProgressTracker tracker;
  private Counts counts;
  private Position position;
  private Set<String> openFresh = Set.of();

  RunState(Job job, Settings.Migration settings, String progressPhase) {
    this.job = job;
    this.settings = settings;
    this.progressPhase = progressPhase;
    this.counts = Counts.from(job.checkpoint());
    this.position = Position.from(job.checkpoint());
    this.tracker = new ProgressTracker(job, threadsTotal(job.checkpoint()), settings.progressIntervalMs(), counts);
  }

  static Integer threadsTotal(JsonObject checkpoint) {
    return checkpoint == null ? null : checkpoint.getInteger("threadsTotal");
  }

  Job job() {
    return job;
  }

  Counts counts() {
    return counts;
  }

  Position position() {
    return position;
  }

  /** The job's checkpoint with these counts and this position; what else it carries (threadsTotal) is kept. */
  JsonObject checkpoint(Counts c, Position p) {
    JsonObject json = job.checkpoint() == null ? new JsonObject() : job.checkpoint().copy();
    json.put("counts", c.toJson());
    if (p == null) json.remove("position");
    else json.put("position", p.toJson());
    return json;
  }

  /** Progress inside the batch's transaction, when its interval has passed. */
  Future<Void> progressIfDue(SqlClient tx, Counts c) {
    if (!tracker.due()) return Future.succeededFuture();
    return AccountTransitions.progress(tx, job.accountId(), tracker.build(progressPhase, c))
        .compose(running -> running ? Future.<Void>succeededFuture()
            : Future.failedFuture(new JobStore.AccountLeft(job.accountId())));
  }

  JsonObject progress(String phase, Counts c) {
    return tracker.build(phase, c);
  }

  /**
   * Threads this run found new to the job (no row or dead letter of the job) and has begun but not
   * finished copying: every row of theirs the job holds, this run wrote from earlier batches, so a
   * batch's later items of theirs need no look-up. Known only in memory; a resumed run starts empty.
   */
  Set<String> openFresh() {
    return openFresh;
  }

  Future<Void> committed(Position next, Counts delta, Set<String> openFresh) {
    this.openFresh = Set.copyOf(openFresh);
    return committed(next, delta);
  }

  /** Takes in a committed batch; past the failure threshold the run fails (its dead letters are already stored). */
  Future<Void> committed(Position next, Counts delta) {
    position = next;
    Counts c = counts.copy();
    c.add(delta);
    counts = c;
    Meters.committed(delta.toJson());
    String reason = c.pastThreshold(settings.maxFailures(), settings.maxFailureRatio());
    return reason == null ? Future.succeededFuture()
        : Future.failedFuture(new RunFailure(reason, tracker.build(progressPhase, c)));
  }
}
