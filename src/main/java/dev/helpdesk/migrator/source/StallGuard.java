package dev.helpdesk.migrator.source;

import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.FlowableTransformer;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.subjects.CompletableSubject;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.reactivestreams.Publisher;

/**
 * Fails the flow when a requested page does not arrive in time. Unlike Flowable.timeout, the clock
 * only runs while downstream has asked for a page and not yet got it: a consumer that spends minutes
 * on one page of a whale account (demand zero meanwhile) must not time out.
 * The timer runs on the given scheduler (a Vert.x context scheduler, so a Vert.x timer).
 */
final class StallGuard<T> implements FlowableTransformer<T, T> {
  private final Scheduler scheduler;
  private final long timeoutMs;
  private final String what;

  StallGuard(Scheduler scheduler, long timeoutMs, String what) {
    this.scheduler = scheduler;
    this.timeoutMs = timeoutMs;
    this.what = what;
  }

  @Override
  public Publisher<T> apply(Flowable<T> upstream) {
    return Flowable.defer(() -> {
      Watch watch = new Watch();
      return upstream
          .doOnRequest(watch::requested)
          .doOnNext(x -> watch.delivered())
          .doOnTerminate(watch::finish)
          .doOnCancel(watch::finish)
          .mergeWith(watch.failure);
    });
  }

  private final class Watch {
    final CompletableSubject failure = CompletableSubject.create();
    private long outstanding;
    private Disposable timer;
    private boolean done;

    synchronized void requested(long n) {
      if (done) return;
      outstanding = outstanding + n < 0 ? Long.MAX_VALUE : outstanding + n;
      if (timer == null) arm();
    }

    synchronized void delivered() {
      if (outstanding != Long.MAX_VALUE) outstanding--;
      disarm();
      if (!done && outstanding > 0) arm();
    }

    void finish() {
      synchronized (this) {
        done = true;
        disarm();
      }
      failure.onComplete();
    }

    private void arm() {
      Disposable[] self = new Disposable[1];
      self[0] = scheduler.scheduleDirect(() -> fire(self[0]), timeoutMs, TimeUnit.MILLISECONDS);
      timer = self[0];
    }

    private void disarm() {
      if (timer != null) {
        timer.dispose();
        timer = null;
      }
    }

    private void fire(Disposable which) {
      synchronized (this) {
        // a timer disarmed after it started running must not fail the flow
        if (done || which == null || timer != which) return;
        done = true;
        timer = null;
      }
      failure.onError(new TimeoutException("no page from " + what + " within " + timeoutMs + " ms"));
    }
  }
}
