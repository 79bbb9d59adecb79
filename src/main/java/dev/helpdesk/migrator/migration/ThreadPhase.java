package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import dev.helpdesk.migrator.accounts.MigrationStatus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.source.DynamoSource;
import dev.helpdesk.migrator.source.Page;
import io.reactivex.rxjava3.core.Flowable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The three thread phases, one Rx chain each: thread pages → threads and their messages,
 * decoded → batches → one transaction per batch with its checkpoint → progress.
 * <ul>
 *   <li>recent: the index, threads with lastMessageAt at or after the run's cutoff, newest first;
 *   its hand-over marks the account recent_messages_only;</li>
 *   <li>older: the table itself, so threads without lastMessageAt are met (and dead-lettered);
 *   threads the index holds at or after the cutoff were recent's;</li>
 *   <li>catch_up: threads whose lastMessageAt moved past the run's start, copied again (upserts).</li>
 * </ul>
 */
final class ThreadPhase implements Phase {
  enum Kind { RECENT, OLDER, CATCH_UP }

  private final Kind kind;
  private final Pool pool;
  private final DynamoSource source;
  private final Settings.Migration settings;
  private final String nextPhase;
  /** the instance's read-ahead gauges; each run's phase has its own budget */
  private final ReadAhead.Totals readAheadTotals;

  ThreadPhase(Kind kind, Pool pool, DynamoSource source, Settings.Migration settings, String nextPhase,
              ReadAhead.Totals readAheadTotals) {
    this.kind = kind;
    this.readAheadTotals = readAheadTotals;
    this.pool = pool;
    this.source = source;
    this.settings = settings;
    this.nextPhase = nextPhase;
  }

  @Override
  public String name() {
    return switch (kind) {
      case RECENT -> "recent";
      case OLDER -> "older";
      case CATCH_UP -> "catch_up";
    };
  }

  static String progressName(String jobPhase) {
    return switch (jobPhase) {
      case "channels" -> "channels";
      case "recent" -> "recent_messages";
      case "older" -> "older_messages";
      case "done" -> "done";
      default -> "catch_up";
    };
  }

  @Override
  public Future<Job> run(Job job) {
    RunState state = new RunState(job, settings, progressName(name()));
    if (state.position().complete()) return handOver(state);
    Position from = state.position();
    BatchWriter writer = new BatchWriter(pool, state, name());
    // pages come back on the context the run executes on, where its state lives
    Context context = Objects.requireNonNull(Vertx.currentContext(), "a run executes on a Vert.x context");
    Flowable<Element> elements = new ThreadStream(source, context, settings.threadConcurrency(),
        new ReadAhead(settings.readAheadBytes(), readAheadTotals))
        .elements(threads(job, context, DynamoSource.decodeKey(from.pageKey())), from, skip(job));
    return Rx.future(elements
            .buffer(settings.batchSize())
            .concatMapCompletable(batch -> Rx.completable(() -> writer.write(batch))))
        .compose(v -> handOver(state));
  }

  private Flowable<Page> threads(Job job, Context context, Map<String, AttributeValue> startKey) {
    return switch (kind) {
      case RECENT -> source.recentThreads(context, job.accountId(), job.recentCutoff(), startKey);
      case OLDER -> source.allThreads(context, job.accountId(), startKey);
      case CATCH_UP -> source.recentThreads(context, job.accountId(), job.runStarted(), startKey);
    };
  }

  /** In the older phase, what the index listed at or after the cutoff was recent's, good or bad. */
  private Predicate<Map<String, AttributeValue>> skip(Job job) {
    if (kind != Kind.OLDER) return item -> false;
    return item -> {
      AttributeValue last = item.get("lastMessageAt");
      if (last == null || last.n() == null) return false;
      try {
        return new java.math.BigDecimal(last.n()).compareTo(java.math.BigDecimal.valueOf(job.recentCutoff())) >= 0;
      } catch (NumberFormatException e) {
        return false;
      }
    };
  }

  /** Moves the job to the next phase; after recent, the account becomes recent_messages_only in the same commit. */
  private Future<Job> handOver(RunState state) {
    Job job = state.job();
    JsonObject checkpoint = state.checkpoint(state.counts(), null);
    JsonObject progress = state.progress(progressName(nextPhase), state.counts());
    return pool.withTransaction(tx -> {
      Future<Boolean> moved = kind == Kind.RECENT
          ? AccountTransitions.advance(tx, job.accountId(), MigrationStatus.CHANNELS_ONLY,
              MigrationStatus.RECENT_MESSAGES_ONLY, progress)
          : AccountTransitions.progress(tx, job.accountId(), progress);
      return moved.compose(ok -> ok ? JobStore.checkpoint(tx, job, nextPhase, checkpoint)
          : Future.failedFuture(new JobStore.AccountLeft(job.accountId())));
    }).map(v -> job.at(nextPhase, checkpoint));
  }
}
