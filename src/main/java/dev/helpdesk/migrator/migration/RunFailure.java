package dev.helpdesk.migrator.migration;

/** Ends a run as {@code failed} with a reason the operator reads in {@code failureReason}. */
public final class RunFailure extends RuntimeException {
  public RunFailure(String reason) {
    super(reason, null, false, false);
  }
}
