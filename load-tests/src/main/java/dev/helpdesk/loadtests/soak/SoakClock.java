package dev.helpdesk.loadtests.soak;

import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The soak's time line: every log line is stamped with the seconds since the start, so that the
 * summary's log and the console read the same, and faults can be matched to what followed them.
 */
final class SoakClock {
  private final long t0 = System.currentTimeMillis();
  private final List<String> log = new ArrayList<>();

  long t0() {
    return t0;
  }

  long elapsed() {
    return (System.currentTimeMillis() - t0) / 1000;
  }

  void note(String line) {
    String l = String.format("%6.1f s  %s", (System.currentTimeMillis() - t0) / 1000.0, line);
    synchronized (log) {
      log.add(l);
    }
    System.out.println(l);
  }

  /** The lines noted so far (a copy: faults' threads may still be noting). */
  List<String> lines() {
    synchronized (log) {
      return List.copyOf(log);
    }
  }

  static void sleepUntil(long at) {
    long ms = at - System.currentTimeMillis();
    if (ms > 0) sleepQuietly(ms);
  }

  static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
