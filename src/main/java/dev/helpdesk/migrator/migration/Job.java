package dev.helpdesk.migrator.migration;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/** A claimed run: what to migrate, from where it resumes, and the lease epoch that fences its writes. */
public record Job(long jobId, String accountId, boolean force, int priority, String phase, JsonObject checkpoint,
                  long recentCutoff, long runStarted, long epoch, String owner) {

  static Job from(Row row, String owner) {
    return new Job(row.getLong("job_id"), row.getString("account_id"), row.getBoolean("force"),
        row.getInteger("priority"), row.getString("phase"), (JsonObject) row.getValue("checkpoint"),
        row.getLong("recent_cutoff"), row.getLong("run_started"), row.getLong("lease_epoch"), owner);
  }

  public Job at(String nextPhase, JsonObject nextCheckpoint) {
    return new Job(jobId, accountId, force, priority, nextPhase, nextCheckpoint, recentCutoff, runStarted, epoch, owner);
  }
}
