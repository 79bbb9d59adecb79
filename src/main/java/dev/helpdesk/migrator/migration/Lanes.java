package dev.helpdesk.migrator.migration;

import java.util.EnumMap;
import java.util.Map;

/** Places taken in each lane on this instance. Used on the runner's context only. */
final class Lanes {
  private final Map<Lane, Integer> capacity = new EnumMap<>(Lane.class);
  private final Map<Lane, Integer> inUse = new EnumMap<>(Lane.class);

  Lanes(int accountsParallel) {
    for (Lane lane : Lane.values()) {
      capacity.put(lane, Lane.capacity(lane, accountsParallel));
      inUse.put(lane, 0);
    }
  }

  /** Takes up to {@code wanted} places; answers how many it got. */
  int take(Lane lane, int wanted) {
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
}
