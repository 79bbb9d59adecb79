package dev.helpdesk.migrator.accounts;

import java.util.EnumSet;
import java.util.Set;

import static dev.helpdesk.migrator.accounts.MigrationStatus.*;

/**
 * The start table of CONTRACT §3.2 as data. The database applies {@link #acceptedFrom} in a
 * conditional UPDATE, so concurrent starts race in PostgreSQL, not here.
 */
public final class StartRules {
  private StartRules() {}

  public enum Origin {
    MOBILE(0), CONVERSATIONS(1), BULK(2);

    /** Claim priority (lower first): a customer watching the app goes first, an operator's bulk run last. */
    public final int priority;

    Origin(int priority) {
      this.priority = priority;
    }
  }

  /** Statuses from which a start request of this origin is accepted. */
  public static Set<MigrationStatus> acceptedFrom(Origin origin, boolean force) {
    // a bulk run asks Conversations first, as the app does, so an unknown account ends not_needed
    if (origin == Origin.MOBILE || origin == Origin.BULK) return EnumSet.of(NOT_STARTED, FAILED);
    return force ? EnumSet.of(NOT_STARTED, NOT_NEEDED, COMPLETED, FAILED) : EnumSet.of(NOT_STARTED, NOT_NEEDED, FAILED);
  }

  /** Why a request was not accepted, given the status it found. */
  public static String refusalReason(MigrationStatus current) {
    if (RUNNING.contains(current)) return "already_running";
    return switch (current) {
      case PAUSED -> "paused";
      case COMPLETED -> "already_completed";
      case NOT_NEEDED -> "not_needed";
      // only reachable if the status changed between the refused update and this read
      default -> "already_running";
    };
  }
}
