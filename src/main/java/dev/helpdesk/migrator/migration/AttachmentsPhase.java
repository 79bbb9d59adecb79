package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.media.MediaFetcher;
import dev.helpdesk.migrator.sink.AttachmentSink;
import dev.helpdesk.migrator.sink.AttachmentSink.Pending;
import dev.helpdesk.migrator.sink.AttachmentSink.Result;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Single;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

import java.util.List;

/**
 * Copies the attachments the message phases recorded as pending, after them so that catch-up's
 * messages are included: pages of pending rows by id → MediaFetcher, {@code media.concurrency} at a
 * time → one transaction per page with the dead letters of the failures and the checkpoint. A row
 * leaves 'pending' exactly once, so a resumed step just continues with what is left. A failed
 * attachment never fails its message or its account (only the failure threshold can).
 */
final class AttachmentsPhase implements Phase {
  static final String NAME = "attachments";
  private static final int MAX_PAGE = 200;

  private final Pool pool;
  private final AttachmentCopier copier;
  private final Settings settings;
  private final String nextPhase;
  /** downloads in flight per page: MEDIA_CONCURRENCY */
  private final int concurrency;
  /**
   * Rows per page, and so per transaction. Eight per copy slot: a page of 200 at MEDIA_CONCURRENCY 4,
   * shared by four accounts at 50 ms media latency, committed nothing for 20 s (a stalled progress bar).
   */
  private final int page;

  AttachmentsPhase(Vertx vertx, Pool pool, MediaFetcher fetcher, Settings settings, String nextPhase) {
    this.pool = pool;
    this.copier = new AttachmentCopier(vertx, fetcher);
    this.settings = settings;
    this.nextPhase = nextPhase;
    this.concurrency = Math.max(1, settings.media().concurrency());
    this.page = Math.min(MAX_PAGE, 8 * concurrency);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<Job> run(Job job) {
    RunState state = new RunState(job, settings.migration(), "catch_up");
    AttachmentCopier.Outage outage = AttachmentCopier.Outage.patient();
    return Rx.future(pages(job, null)
            // one transaction per page: settling every few copies (a batch per copy slot) made the
            // transactions, not the downloads, the pace at WHALE scale. The next page's copies start
            // while this one's last ones finish, so the slots do not drain at each page's tail;
            // MediaFetcher's limiter keeps the downloads in flight at MEDIA_CONCURRENCY across both.
            .concatMapEager(rows -> Flowable.fromIterable(rows)
                .flatMapSingle(p -> copy(p, outage), false, concurrency)
                .toList().toFlowable(), 2, 1)
            .concatMapCompletable(results -> Rx.completable(() -> settle(state, results))))
        .compose(v -> handOver(state));
  }

  /** Pending rows in id order, a page at a time as the copies ask for more. */
  private Flowable<List<Pending>> pages(Job job, String afterId) {
    return Rx.single(() -> AttachmentSink.pending(pool, job.accountId(), job.jobId(), afterId, page)).toFlowable()
        .concatMap(rows -> rows.isEmpty() ? Flowable.<List<Pending>>empty()
            : Flowable.just(rows).concatWith(rows.size() < page ? Flowable.empty()
                : Flowable.defer(() -> pages(job, rows.get(rows.size() - 1).attachmentId()))));
  }

  /** An outage waits for the breaker's probe, within the run's patience; see {@link AttachmentCopier.Outage}. */
  private Single<Result> copy(Pending p, AttachmentCopier.Outage outage) {
    return Rx.single(() -> copier.copy(p, outage));
  }

  private Future<Void> settle(RunState state, List<Result> batch) {
    Job job = state.job();
    return pool.withTransaction(tx -> {
      Counts delta = new Counts();
      return copier.record(tx, job.accountId(), job.jobId(), batch, delta).compose(v -> {
        Counts after = state.counts().copy();
        after.add(delta);
        return JobStore.checkpoint(tx, job, NAME, state.checkpoint(after, null))
            .compose(c -> state.progressIfDue(tx, after))
            .map(c -> delta);
      });
    }).compose(delta -> state.committed(null, delta));
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
