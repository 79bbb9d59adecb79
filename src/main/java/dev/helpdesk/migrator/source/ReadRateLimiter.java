package dev.helpdesk.migrator.source;

import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.reactivestreams.Publisher;

/**
 * A token bucket on DynamoDB Query requests, shared by every flow of one instance
 * ({@code DYNAMODB_READ_RATE_TOTAL} divided among the live instances).
 *
 * <p>The unit is requests (pages), not items or read capacity units: a request is what this side
 * decides to send, so it can be held back before it costs anything; the capacity a page consumes
 * is only known once it has been read. With DynamoDB's 1 MB pages a request costs at most 128
 * eventually consistent RCUs, so a request rate bounds the read capacity too. SDK retries of a
 * request are not counted again (they back off on their own).
 *
 * <p>Never blocks: a flow waiting for a token holds its request back and a Vert.x timer releases
 * it. Waiters are served first come, first served. The bucket holds at most one second of tokens
 * (at least one), so an instance bursts at most its share for a second.
 *
 * <p>The same gate pauses every request for a while when something a customer waits for needs the
 * machine ({@link #hold}); with a rate of 0 that is all it does.
 */
public final class ReadRateLimiter {
  /** A place in the queue for a token; cancel it when the flow ends first. */
  public final class Ticket implements RequestGate.Waiting {
    private final Runnable action;

    private Ticket(Runnable action) {
      this.action = action;
    }

    @Override
    public void cancel() {
      synchronized (ReadRateLimiter.this) {
        waiters.remove(this);
      }
    }
  }

  private static final Ticket GRANTED = null;

  private final Vertx vertx;
  private final ArrayDeque<Ticket> waiters = new ArrayDeque<>();
  private double perSecond;
  private double tokens;
  private long refilledAt = System.nanoTime();
  private long timer = -1;
  /** see {@link #hold}: holds not yet released, and whether requests wait now */
  private int holds;
  private boolean held;
  private long periods;
  private long periodStart;
  private long nextPeriodAt = System.nanoTime();

  /** @param perSecond requests per second; 0 lets every request through at once */
  public ReadRateLimiter(Vertx vertx, double perSecond) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    setRate(perSecond);
    synchronized (this) {
      tokens = burst();
    }
  }

  /** Changes the rate at once, for waiting requests too; 0 lets everything through. */
  public void setRate(double perSecond) {
    if (!(perSecond >= 0) || Double.isInfinite(perSecond)) throw new IllegalArgumentException("rate " + perSecond);
    List<Ticket> ready;
    synchronized (this) {
      refill();
      this.perSecond = perSecond;
      tokens = Math.min(tokens, burst());
      cancelTimer();
      ready = takeReady();
    }
    ready.forEach(t -> t.action.run());
  }

  public synchronized double rate() {
    return perSecond;
  }

  /** Tokens the bucket holds when full: one second's worth, at least one. */
  public synchronized double burst() {
    return Math.max(1.0, perSecond);
  }

  /**
   * Runs {@code action} once a token is available: at once (on this thread) when one is, else
   * later on a Vert.x timer. Returns null when the action already ran, else a ticket to cancel.
   */
  public Ticket acquire(Runnable action) {
    synchronized (this) {
      if (held) {
        Ticket t = new Ticket(action);
        waiters.add(t);
        return t;
      }
      if (perSecond > 0) {
        refill();
        if (!waiters.isEmpty() || tokens < 1) {
          Ticket t = new Ticket(action);
          waiters.add(t);
          schedule();
          return t;
        }
        tokens -= 1;
      }
    }
    action.run();
    return GRANTED;
  }

  /**
   * Holds every request back until the returned action runs (running it again does nothing; after
   * {@code maxMs} it runs by itself). Used
   * while a customer waits for something that reads nothing from DynamoDB (an inbox's channels):
   * the other accounts' reads, and the service's, dynalite's and PostgreSQL's CPU they set going,
   * wait those few hundred milliseconds.
   * <p>
   * Overlapping holds make one held period, which ends after {@code maxMs} even if holds remain (a
   * slow Conversations must not stall every account); the next period starts no sooner than twice
   * the last one's length after its end, so reads are held at most a third of the time when accounts
   * arrive without a pause (with half, a fleet's steady arrivals delayed the recent phases too much).
   */
  public Runnable hold(long maxMs) {
    if (maxMs <= 0) return () -> {}; // MIGRATION_INBOX_HOLD_MS 0: never held
    synchronized (this) {
      holds++;
      long now = System.nanoTime();
      if (!held && now - nextPeriodAt >= 0) {
        held = true;
        periodStart = now;
        long period = ++periods;
        vertx.setTimer(maxMs, id -> endPeriod(period));
      }
    }
    boolean[] released = {false};
    Runnable release = () -> {
      long period;
      synchronized (this) {
        if (released[0]) return;
        released[0] = true;
        holds--;
        if (holds > 0 || !held) return;
        period = periods;
      }
      endPeriod(period);
    };
    // a hold whose owner never releases it counts no longer than the bound
    vertx.setTimer(maxMs, id -> release.run());
    return release;
  }

  private void endPeriod(long period) {
    List<Ticket> ready;
    synchronized (this) {
      if (!held || period != periods) return;
      held = false;
      long now = System.nanoTime();
      nextPeriodAt = now + 2 * (now - periodStart);
      ready = takeReady();
    }
    ready.forEach(t -> t.action.run());
  }

  /** The publisher with each page request held back until a token is available. */
  public <T> Publisher<T> limit(Publisher<T> upstream) {
    return RequestGate.gate(upstream, this::acquire);
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(burst(), tokens + (now - refilledAt) / 1e9 * perSecond);
    refilledAt = now;
  }

  /** Under the lock: the waiters that get a token now (all of them when unlimited). */
  private List<Ticket> takeReady() {
    List<Ticket> ready = new ArrayList<>();
    if (held) return ready;
    if (perSecond == 0) {
      ready.addAll(waiters);
      waiters.clear();
      return ready;
    }
    refill();
    while (!waiters.isEmpty() && tokens >= 1) {
      tokens -= 1;
      ready.add(waiters.poll());
    }
    if (!waiters.isEmpty()) schedule();
    return ready;
  }

  private void schedule() {
    if (timer >= 0) return;
    long delayMs = Math.max(1, (long) Math.ceil((1 - tokens) / perSecond * 1000));
    timer = vertx.setTimer(delayMs, id -> onTimer(id));
  }

  private void cancelTimer() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void onTimer(long id) {
    List<Ticket> ready;
    synchronized (this) {
      if (timer != id) return; // replaced by setRate
      timer = -1;
      ready = takeReady();
    }
    ready.forEach(t -> t.action.run());
  }
}
