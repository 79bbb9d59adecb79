package dev.helpdesk.migrator.media;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;

/** At most {@code max} tasks in flight; the rest wait in order and start on their caller's context. */
final class Limiter {
  private final Vertx vertx;
  private final int max;
  private final Deque<Runnable> waiting = new ArrayDeque<>();
  private int active;

  Limiter(Vertx vertx, int max) {
    this.vertx = vertx;
    this.max = Math.max(1, max);
  }

  <T> Future<T> run(Supplier<Future<T>> task) {
    Promise<T> result = Promise.promise();
    Context context = vertx.getOrCreateContext();
    Runnable start = () -> {
      Future<T> f;
      try {
        f = task.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        release();
        result.handle(ar);
      });
    };
    boolean now;
    synchronized (this) {
      now = active < max;
      if (now) active++;
      else waiting.add(() -> context.runOnContext(v -> start.run()));
    }
    if (now) start.run();
    return result.future();
  }

  synchronized int inFlight() {
    return active;
  }

  private void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) active--; // else the slot passes straight to the next task
    }
    if (next != null) next.run();
  }
}
