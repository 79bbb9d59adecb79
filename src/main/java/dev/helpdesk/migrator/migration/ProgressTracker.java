package dev.helpdesk.migrator.migration;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** Builds the progress object of CONTRACT §3.5 from what the run has committed. */
final class ProgressTracker {
  private ProgressTracker() {}

  static JsonObject afterChannels(Job job, Integer threadsTotal) {
    return new JsonObject()
        .put("phase", "recent_messages")
        .put("threadsMigrated", 0).put("threadsTotal", threadsTotal)
        .put("messagesMigrated", 0).put("attachmentsMigrated", 0).put("deadLetters", 0)
        .put("startedAt", Instant.ofEpochMilli(job.runStarted()).toString())
        .put("updatedAt", Instant.now().toString())
        .putNull("etaSeconds");
  }
}
