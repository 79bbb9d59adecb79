package dev.helpdesk.migrator.migration;

import io.vertx.core.Future;

/** One step of a run. It commits its own work with checkpoints and answers the job as it left it. */
public interface Phase {
  /** The job's {@code phase} value this step runs in. */
  String name();

  Future<Job> run(Job job);
}
