package dev.helpdesk.migrator.migration;

import java.util.EnumMap;
import java.util.Map;

/**
 * Places taken in each lane on this instance. While accounts wait for the recent lane, the older
 * and media lanes take no one new: on a small machine they would share the reads and the cores
 * with what a customer is waiting for. Used on the runner's context only.
 */
final class Lanes {
  private final Map<Lane, Integer> capacity = new EnumMap<>(Lane.class);
  private final Map<Lane, Integer> inUse = new EnumMap<>(Lane.class);
  /** a job was seen waiting for the recent lane, and no claim since has found that lane's queue empty */
  private boolean recentBacklog;
  /** hand-backs for want of a recent place begun or ended so far: tells a claim whether one happened while it was in flight */
  private long recentWaits;
  /** hand-backs for want of a recent place not yet committed: the claim query cannot see those jobs */
  private int recentHandingBack;

  Lanes(int accountsParallel) {
    for (Lane lane : Lane.values()) {
      capacity.put(lane, Lane.capacity(lane, accountsParallel));
      inUse.put(lane, 0);
    }
  }

  /** Takes up to {@code wanted} places; answers how many it got. */
  int take(Lane lane, int wanted) {
    if (recentBacklog && (lane == Lane.OLDER || lane == Lane.MEDIA)) return 0;
    int got = Math.max(0, Math.min(wanted, capacity.get(lane) - inUse.get(lane)));
    inUse.merge(lane, got, Integer::sum);
    return got;
  }

  boolean tryTake(Lane lane) {
    return take(lane, 1) == 1;
  }

  void give(Lane lane, int places) {
    inUse.merge(lane, -places, Integer::sum);
  }

  int free(Lane lane) {
    return capacity.get(lane) - inUse.get(lane);
  }

  boolean recentBacklog() {
    return recentBacklog;
  }

  /** A job went back to the queue for want of a recent place. */
  void recentWaiting() {
    recentBacklog = true;
    recentWaits++;
    recentHandingBack++;
  }

  /** The hand-back announced by {@link #recentWaiting()} ended (committed or not). */
  void recentHandedBack() {
    recentWaits++;
    recentHandingBack--;
  }

  long recentWaits() {
    return recentWaits;
  }

  /**
   * A claim for the recent lane with {@code room} places found {@code claimed} jobs: fewer means none was
   * left, unless a job was going back to wait while the claim was in flight ({@code waitsBefore}, read when
   * it was sent) or still is: the query may have run before that job was claimable, so the backlog stands
   * until a later claim finds the queue empty.
   */
  void recentClaimed(int room, int claimed, long waitsBefore) {
    recentBacklog = claimed >= room || recentWaits != waitsBefore || recentHandingBack > 0;
  }
}
