package dev.helpdesk.migrator.migration;

import io.vertx.core.Future;

/** One step of a run. It commits its own work with checkpoints and answers the job as it left it. */
public interface Phase {
  /** The job's {@code phase} value this step runs in. */
  String name();

  Future<Job> run(Job job);

  /**
   * Whether the step takes one of the instance's account slots. The channels phase does not, so
   * a newly claimed account reaches channels_only at once instead of queueing behind others.
   */
  default boolean needsSlot() {
    return false;
  }
}
