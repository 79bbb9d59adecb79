package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.media.MediaFailure;
import dev.helpdesk.migrator.media.MediaFetcher;
import dev.helpdesk.migrator.sink.AttachmentSink;
import dev.helpdesk.migrator.sink.AttachmentSink.Pending;
import dev.helpdesk.migrator.sink.AttachmentSink.Result;
import dev.helpdesk.migrator.sink.DeadLetterSink;
import dev.helpdesk.migrator.sink.DeadLetterSink.DeadLetter;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Single;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies the attachments the message phases recorded as pending, after them so that catch-up's
 * messages are included: pending rows by id → MediaFetcher, {@code media.concurrency} at a time →
 * batches → one transaction per batch with the dead letters of the failures and the
 * checkpoint. A row leaves 'pending' exactly once, so a resumed step just continues with what is
 * left. A failed attachment never fails its message or its account (only the failure threshold can).
 */
final class AttachmentsPhase implements Phase {
  static final String NAME = "attachments";
  private static final int PAGE = 200;

  /** How long copies wait out an open media breaker before dead-lettering: about two minutes. */
  private static final int OPEN_BREAKER_ROUNDS = 60;
  private static final long OPEN_BREAKER_WAIT_MS = 2_000;

  private final Vertx vertx;
  private final Pool pool;
  private final MediaFetcher fetcher;
  private final Settings settings;
  private final String nextPhase;

  AttachmentsPhase(Vertx vertx, Pool pool, MediaFetcher fetcher, Settings settings, String nextPhase) {
    this.vertx = vertx;
    this.pool = pool;
    this.fetcher = fetcher;
    this.settings = settings;
    this.nextPhase = nextPhase;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsSlot() {
    return true;
  }

  @Override
  public Future<Job> run(Job job) {
    RunState state = new RunState(job, settings.migration(), "catch_up");
    return Rx.future(pending(job, null)
            .flatMapSingle(this::copy, false, settings.media().concurrency())
            // a count, not a time window, keeps the chain backpressured; one per copy slot keeps
            // results from waiting long for company when copies trickle (an outage, big files)
            .buffer(Math.max(1, settings.media().concurrency()))
            .concatMapCompletable(batch -> Rx.completable(() -> settle(state, batch))))
        .compose(v -> handOver(state));
  }

  /** Pending rows in id order, one page at a time as the copies ask for more. */
  private Flowable<Pending> pending(Job job, String afterId) {
    return Rx.single(() -> AttachmentSink.pending(pool, job.accountId(), job.jobId(), afterId, PAGE)).toFlowable()
        .concatMap(page -> page.isEmpty() ? Flowable.<Pending>empty()
            : Flowable.fromIterable(page).concatWith(page.size() < PAGE ? Flowable.empty()
                : Flowable.defer(() -> pending(job, page.get(page.size() - 1).attachmentId()))));
  }

  private Single<Result> copy(Pending p) {
    return Rx.single(() -> fetch(p, 1));
  }

  /**
   * An open breaker says the media service is down, not that this attachment is bad: wait for
   * the breaker's half-open probe rather than dead-letter every attachment of the outage.
   */
  private Future<Result> fetch(Pending p, int round) {
    return fetcher.fetch(p.attachmentId(), p.url())
        .map(f -> new Result(p, f.sha256(), f.size(), f.contentType(), null, 1))
        .recover(t -> {
          if (t instanceof MediaFailure mf && mf.kind() == MediaFailure.Kind.CIRCUIT_OPEN && round < OPEN_BREAKER_ROUNDS) {
            Promise<Void> later = Promise.promise();
            vertx.setTimer(OPEN_BREAKER_WAIT_MS, id -> later.complete());
            return later.future().compose(v -> fetch(p, round + 1));
          }
          return Future.succeededFuture(t instanceof MediaFailure mf
              ? new Result(p, null, 0, null, mf.reason(), Math.max(1, mf.attempts()))
              : new Result(p, null, 0, null, "copy failed: " + t, 1));
        });
  }

  private Future<Void> settle(RunState state, List<Result> batch) {
    Job job = state.job();
    return pool.withTransaction(tx -> AttachmentSink.settle(tx, job.jobId(), batch).compose(changed -> {
      Set<String> counted = new HashSet<>(changed);
      Counts delta = new Counts();
      List<DeadLetter> letters = new java.util.ArrayList<>();
      for (Result r : batch) {
        if (!counted.contains(r.attachment().attachmentId())) continue;
        if (r.copied()) {
          delta.written("attachment");
        } else {
          delta.dead("attachment");
          Pending p = r.attachment();
          letters.add(new DeadLetter("attachment", DeadLetterSink.key(Map.of("threadId", p.threadId(),
              "messageId", p.messageId(), "attachmentId", p.attachmentId())), r.failure()));
        }
      }
      Counts after = state.counts().copy();
      after.add(delta);
      return DeadLetterSink.upsert(tx, job.accountId(), job.jobId(), letters)
          .compose(v -> JobStore.checkpoint(tx, job, NAME, state.checkpoint(after, null)))
          .compose(v -> state.progressIfDue(tx, after))
          .map(v -> delta);
    })).compose(delta -> state.committed(null, delta));
  }

  private Future<Job> handOver(RunState state) {
    Job job = state.job();
    JsonObject checkpoint = state.checkpoint(state.counts(), null);
    JsonObject progress = state.progress("catch_up", state.counts());
    return pool.withTransaction(tx -> AccountTransitions.progress(tx, job.accountId(), progress)
            .compose(ok -> ok ? JobStore.checkpoint(tx, job, nextPhase, checkpoint)
                : Future.failedFuture(new JobStore.AccountLeft(job.accountId()))))
        .map(v -> job.at(nextPhase, checkpoint));
  }
}
