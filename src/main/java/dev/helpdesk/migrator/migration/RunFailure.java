package dev.helpdesk.migrator.migration;

import io.vertx.core.json.JsonObject;

/** Ends a run as {@code failed} with a reason the operator reads in {@code failureReason}. */
public final class RunFailure extends RuntimeException {
  private final transient JsonObject progress;

  public RunFailure(String reason) {
    this(reason, null);
  }

  /** @param progress the run's last progress, written with the failure so it shows what was committed; may be null */
  public RunFailure(String reason, JsonObject progress) {
    super(reason, null, false, false);
    this.progress = progress;
  }

  public JsonObject progress() {
    return progress;
  }
}
