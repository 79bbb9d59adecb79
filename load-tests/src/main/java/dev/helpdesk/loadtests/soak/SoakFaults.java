package dev.helpdesk.loadtests.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.helpdesk.loadtests.soak.SoakClock.sleepQuietly;
import static dev.helpdesk.loadtests.soak.SoakClock.sleepUntil;

/**
 * The faults of a soak and how often each landed. Their moments and victims all come from one
 * {@code Random(seed)}, drawn in a fixed order, so that a seed replays the same timeline.
 */
final class SoakFaults {
  private final double minutes;
  private final Random random;
  private final SoakClock clock;
  private final SoakStack stack;
  private final Map<String, AtomicInteger> counts = new ConcurrentSkipListMap<>();
  // ends windows, SIGCONTs and restarts off the timeline's thread, so that the next fault is not delayed
  private final ExecutorService restarts = Executors.newCachedThreadPool();

  record Event(long at, String kind, Runnable action) {}

  SoakFaults(double minutes, long seed, SoakClock clock, SoakStack stack) {
    this.minutes = minutes;
    this.random = new Random(seed);
    this.clock = clock;
    this.stack = stack;
  }

  /** Fault kind → times it landed, in kind order. */
  Map<String, AtomicInteger> counts() {
    return counts;
  }

  /** The faults, at moments drawn from the seed; kill -9 at 50 per 10 minutes. */
  List<Event> timeline(long endAt) {
    long from = clock.t0() + 15_000;
    long span = Math.max(1, endAt - 10_000 - from);
    List<Event> events = new ArrayList<>();
    add(events, from, span, (int) Math.round(50 * minutes / 10), "kill -9", this::killOne);
    add(events, from, span, (int) Math.round(8 * minutes / 10), "SIGSTOP past the lease", this::pauseOne);
    add(events, from, span, (int) Math.round(3 * minutes / 10), "PostgreSQL stop -m fast", () -> restartPg(false));
    add(events, from, span, (int) Math.round(3 * minutes / 10), "PostgreSQL crash (SIGKILL)", () -> restartPg(true));
    add(events, from, span, (int) Math.round(8 * minutes / 10), "PostgreSQL connections cut", () -> stack.pgProxy().cutAll());
    add(events, from, span, (int) Math.round(6 * minutes / 10), "Conversations 503 x3", () -> stack.sim().faults().failNext(3));
    add(events, from, span, (int) Math.round(4 * minutes / 10), "Conversations 30 % errors for 5 s",
        () -> window(() -> stack.sim().faults().errorRate(0.3), () -> stack.sim().faults().errorRate(0), 5000));
    add(events, from, span, (int) Math.round(3 * minutes / 10), "Conversations outage for 4 s",
        () -> window(() -> stack.sim().faults().outage(true), () -> stack.sim().faults().outage(false), 4000));
    add(events, from, span, (int) Math.round(3 * minutes / 10), "Conversations stall for 3 s",
        () -> window(() -> stack.sim().faults().stall(true), () -> stack.sim().faults().stall(false), 3000));
    add(events, from, span, (int) Math.round(4 * minutes / 10), "media +800 ms for 5 s",
        () -> window(() -> stack.sim().faults().mediaLatencyMs(800), () -> stack.sim().faults().mediaLatencyMs(0), 5000));
    add(events, from, span, (int) Math.round(6 * minutes / 10), "DynamoDB 30 % throttling for 10 s",
        () -> window(() -> stack.dynamoProxy().throttleRate = 0.3, () -> stack.dynamoProxy().throttleRate = 0, 10_000));
    events.sort((a, b) -> Long.compare(a.at, b.at));
    return events;
  }

  /** Applies each event at its moment; one that cannot apply is logged and the timeline goes on. */
  void play(List<Event> timeline) {
    for (Event e : timeline) {
      sleepUntil(e.at);
      try {
        e.action.run();
      } catch (RuntimeException ex) {
        clock.note("fault " + e.kind + " failed to apply: " + ex);
      }
    }
  }

  private void add(List<Event> events, long from, long span, int count, String kind, Runnable action) {
    counts.putIfAbsent(kind, new AtomicInteger());
    for (int i = 0; i < Math.max(1, count); i++) {
      long at = from + (long) (random.nextDouble() * span);
      events.add(new Event(at, kind, () -> {
        action.run();
        counts.get(kind).incrementAndGet();
      }));
    }
  }

  private void window(Runnable on, Runnable off, long ms) {
    on.run();
    restarts.submit(() -> {
      sleepQuietly(ms);
      off.run();
    });
  }

  private void killOne() {
    List<SoakInstance> alive = stack.instances().stream().filter(SoakInstance::serving).toList();
    if (alive.isEmpty()) throw new IllegalStateException("no live instance to kill");
    SoakInstance victim = alive.get(random.nextInt(alive.size()));
    victim.kill9();
    restarts.submit(() -> {
      // a restart that does not come up was almost always killed again while starting (a kill lands on
      // any live process); the next kill's restart, or the final calm, starts it again
      if (!victim.start()) {
        counts.computeIfAbsent("(kill -9 landing on an instance still starting up)", k -> new AtomicInteger()).incrementAndGet();
      }
    });
  }

  private void pauseOne() {
    List<SoakInstance> alive = stack.instances().stream().filter(SoakInstance::serving).toList();
    if (alive.isEmpty()) throw new IllegalStateException("no live instance to pause");
    SoakInstance victim = alive.get(random.nextInt(alive.size()));
    long ms = Soak.LEASE_TTL_MS + 1000 + random.nextInt(3000);
    victim.sigstop();
    restarts.submit(() -> {
      sleepQuietly(ms);
      victim.sigcont();
    });
  }

  private void restartPg(boolean crash) {
    if (crash) stack.pg().crash();
    else stack.pg().stopFast();
    sleepQuietly(500 + random.nextInt(1500));
    stack.pg().restart();
  }

  /** Every fault off, PostgreSQL up, every instance running and serving. */
  void calm() {
    stack.sim().faults().reset();
    stack.dynamoProxy().throttleRate = 0;
    stack.pgProxy().blackhole(false);
    if (!stack.pg().isRunning()) stack.pg().restart();
    sleepQuietly(Soak.LEASE_TTL_MS + 4000); // pending SIGCONTs and restarts land
    for (SoakInstance in : stack.instances()) {
      if (!in.alive() && !in.start()) clock.note("final restart of " + in.name + " failed");
    }
  }

  /** Drops whatever window or restart is still pending. */
  void close() {
    restarts.shutdownNow();
  }
}
