package dev.helpdesk.migrator.accounts;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/** The progress object of CONTRACT §3.5. */
public final class Progress {
  private Progress() {}

  public static JsonObject initial(Instant startedAt) {
    String at = startedAt.toString();
    return new JsonObject()
        .put("phase", "channels")
        .put("threadsMigrated", 0).putNull("threadsTotal")
        .put("messagesMigrated", 0).put("attachmentsMigrated", 0).put("deadLetters", 0)
        .put("startedAt", at).put("updatedAt", at)
        .putNull("etaSeconds");
  }
}
