package dev.helpdesk.migrator.source;

import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Forwards downstream demand upstream one request at a time, each once an {@link Admission} lets it
 * go. Placed above the StallGuard, so the guard only sees (and times) requests actually sent: time
 * spent waiting to be admitted is not a stall.
 */
public final class RequestGate<T> implements Subscriber<T>, Subscription {
  /** Decides when a page request may go. */
  public interface Admission {
    /**
     * Runs {@code grant} once the request may go: at once (on this thread, returning null) or later
     * (returning a handle that withdraws the request).
     */
    Waiting acquire(Runnable grant);

    /** The flow ended after a grant whose page never came (completed, failed or cancelled first). */
    default void unanswered() {}
  }

  /** A request waiting for admission. */
  public interface Waiting {
    void cancel();
  }

  public static <T> Publisher<T> gate(Publisher<T> upstream, Admission admission) {
    return downstream -> upstream.subscribe(new RequestGate<>(downstream, admission));
  }

  private final Subscriber<? super T> downstream;
  private final Admission admission;
  private Subscription upstream;
  private long wanted;
  private boolean owed;
  private boolean waiting;
  private boolean done;
  private Waiting ticket;

  private RequestGate(Subscriber<? super T> downstream, Admission admission) {
    this.downstream = downstream;
    this.admission = admission;
  }

  @Override
  public void onSubscribe(Subscription s) {
    upstream = s;
    downstream.onSubscribe(this);
  }

  @Override
  public void request(long n) {
    if (n <= 0) {
      cancel();
      downstream.onError(new IllegalArgumentException("§3.9: request " + n));
      return;
    }
    synchronized (this) {
      wanted = wanted + n < 0 ? Long.MAX_VALUE : wanted + n;
    }
    pump();
  }

  private void pump() {
    synchronized (this) {
      if (done || owed || waiting || wanted == 0) return;
      waiting = true;
    }
    Waiting t = admission.acquire(this::grant);
    boolean late;
    synchronized (this) {
      if (waiting) ticket = t;
      late = done && t != null;
    }
    if (late) t.cancel(); // the flow ended while the request was being queued
  }

  private void grant() {
    boolean refused;
    synchronized (this) {
      waiting = false;
      ticket = null;
      refused = done;
      if (!refused) {
        if (wanted != Long.MAX_VALUE) wanted--;
        owed = true;
      }
    }
    if (refused) {
      admission.unanswered(); // granted after the flow ended: nothing will be sent
      return;
    }
    upstream.request(1);
  }

  @Override
  public void onNext(T t) {
    synchronized (this) {
      owed = false;
    }
    downstream.onNext(t);
    pump();
  }

  @Override
  public void onError(Throwable e) {
    stop();
    downstream.onError(e);
  }

  @Override
  public void onComplete() {
    stop();
    downstream.onComplete();
  }

  @Override
  public void cancel() {
    stop();
    upstream.cancel();
  }

  private void stop() {
    Waiting t;
    boolean unanswered;
    synchronized (this) {
      if (done) return;
      done = true;
      t = ticket;
      ticket = null;
      unanswered = owed;
      owed = false;
    }
    if (t != null) t.cancel();
    if (unanswered) admission.unanswered();
  }
}
