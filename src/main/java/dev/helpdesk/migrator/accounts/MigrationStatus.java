package dev.helpdesk.migrator.accounts;

import java.util.EnumSet;
import java.util.Set;

/** The status vocabulary of CONTRACT §3.2, in the order a run moves through it. */
public enum MigrationStatus {
  NOT_STARTED, NOT_NEEDED, MIGRATING, CHANNELS_ONLY, RECENT_MESSAGES_ONLY, COMPLETED, PAUSED, FAILED;

  public static final Set<MigrationStatus> RUNNING = EnumSet.of(MIGRATING, CHANNELS_ONLY, RECENT_MESSAGES_ONLY);

  public String wire() {
    return name().toLowerCase();
  }

  public static MigrationStatus fromWire(String s) {
    return valueOf(s.toUpperCase());
  }
}
