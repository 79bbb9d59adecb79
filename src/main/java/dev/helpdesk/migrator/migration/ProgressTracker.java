package dev.helpdesk.migrator.migration;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * Builds the progress object of CONTRACT §3.5 from what the run has committed, and paces its
 * writes: at most one per interval, never one per row.
 */
final class ProgressTracker {
  private final Job job;
  private final Integer threadsTotal;
  private final long intervalMs;
  /** Where the rate is measured from: this process's share of the run, so a resume does not skew it. */
  private final long baseThreads;
  private final long baseAtMs;
  private long lastWriteMs;

  ProgressTracker(Job job, Integer threadsTotal, long intervalMs, Counts start) {
    this.job = job;
    this.threadsTotal = threadsTotal;
    this.intervalMs = intervalMs;
    this.baseThreads = settledThreads(start);
    this.baseAtMs = System.currentTimeMillis();
    this.lastWriteMs = baseAtMs;
  }

  static JsonObject afterChannels(Job job, Integer threadsTotal) {
    return new JsonObject()
        .put("phase", "recent_messages")
        .put("threadsMigrated", 0).put("threadsTotal", threadsTotal)
        .put("messagesMigrated", 0).put("attachmentsMigrated", 0).put("deadLetters", 0)
        .put("startedAt", Instant.ofEpochMilli(job.runStarted()).toString())
        .put("updatedAt", Instant.now().toString())
        .putNull("etaSeconds");
  }

  boolean due() {
    return System.currentTimeMillis() - lastWriteMs >= intervalMs;
  }

  /** The object to write now; marks the write as done for pacing. */
  JsonObject build(String phase, Counts counts) {
    long now = System.currentTimeMillis();
    lastWriteMs = now;
    JsonObject p = new JsonObject()
        .put("phase", phase)
        .put("threadsMigrated", counts.written(0)).put("threadsTotal", threadsTotal)
        .put("messagesMigrated", counts.written(1)).put("attachmentsMigrated", counts.written(2))
        .put("deadLetters", counts.totalDead())
        .put("startedAt", Instant.ofEpochMilli(job.runStarted()).toString())
        .put("updatedAt", Instant.ofEpochMilli(now).toString());
    return p.put("etaSeconds", "done".equals(phase) ? Long.valueOf(0) : eta(counts, now));
  }

  /** Threads still to go over the measured thread rate; null while either is unknown. */
  private Long eta(Counts counts, long now) {
    if (threadsTotal == null) return null;
    long settled = settledThreads(counts);
    long elapsed = now - baseAtMs;
    long progressed = settled - baseThreads;
    if (elapsed <= 0 || progressed <= 0) return null;
    long remaining = Math.max(0, threadsTotal - settled);
    return (long) Math.ceil(remaining * (elapsed / 1000.0) / progressed);
  }

  /** Threads this run is done with, written or dead-lettered: both count towards Conversations' total. */
  private static long settledThreads(Counts c) {
    JsonObject t = c.toJson().getJsonObject("threads");
    return t.getLong("written") + t.getLong("dead");
  }
}
