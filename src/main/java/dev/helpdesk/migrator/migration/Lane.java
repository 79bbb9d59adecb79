package dev.helpdesk.migrator.migration;

import java.util.List;

/**
 * The kinds of work a run goes through, each with its own per-instance limit, so that what a
 * customer waits for is never queued behind another account's bulk: channels (one Conversations
 * call, the app's inbox), the recent messages, the older ones, then the attachments. A run moving
 * to a lane with no room hands its job back to the queue, where any instance with room claims it.
 */
enum Lane {
  CHANNELS(List.of(ChannelsPhase.NAME)),
  RECENT(List.of("recent")),
  OLDER(List.of("older", "catch_up")),
  MEDIA(List.of(AttachmentsPhase.NAME, ReconcilePhase.NAME));

  final List<String> phases;

  Lane(List<String> phases) {
    this.phases = phases;
  }

  static Lane of(String phase) {
    for (Lane lane : values()) {
      if (lane.phases.contains(phase)) return lane;
    }
    throw new IllegalArgumentException("no lane runs phase " + phase);
  }

  /**
   * MIGRATION_ACCOUNTS_PARALLEL accounts in each message lane; channels take no reads and one
   * request, so eight times as many start at once.
   */
  static int capacity(Lane lane, int accountsParallel) {
    return lane == CHANNELS ? 8 * accountsParallel : accountsParallel;
  }
}
