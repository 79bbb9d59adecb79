package dev.helpdesk.migrator.migration;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The instance's limit on accounts in their message phases (MIGRATION_ACCOUNTS_PARALLEL). Waiters
 * are served in arrival order. Used on the runner's context only.
 */
final class Slots {
  private final int limit;
  private final Deque<Promise<Void>> waiting = new ArrayDeque<>();
  private int inUse;

  Slots(int limit) {
    this.limit = limit;
  }

  Future<Void> acquire() {
    if (inUse < limit) {
      inUse++;
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiting.add(p);
    return p.future();
  }

  void release() {
    Promise<Void> next = waiting.poll();
    if (next != null) next.complete();
    else inUse--;
  }

  int inUse() {
    return inUse;
  }
}
