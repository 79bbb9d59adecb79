package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.media.MediaFetcher;
import dev.helpdesk.migrator.migration.RetryLetter.Outcome;
import dev.helpdesk.migrator.migration.RetryLetter.StillBad;
import dev.helpdesk.migrator.source.DynamoSource;
import io.reactivex.rxjava3.core.Flowable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Retries a {@code completed} account's unresolved dead letters in place (CONTRACT §3.3), the
 * consumer of {@link Bus#DEAD_LETTERS_RETRY}. It answers at once with how many letters it took,
 * then works through them in the background on the runner's context, {@link #CONCURRENCY} at a
 * time: an attachment's letter by {@link AttachmentRecovery}, a message's or a thread's by
 * {@link SourceRecovery}. Whatever still fails keeps its letter with attempts + 1, last_failed_at
 * and the new reason.
 *
 * <p>Each letter is one transaction that holds its row lock ({@code FOR UPDATE SKIP LOCKED}) while
 * it works, so two retries of the same account, on this instance or another, never process a letter
 * twice: the instance skips the ids it already has in flight, the lock skips those another holds.
 * In the same transaction the account's reconciliation and progress take in what changed (a
 * recovered item moves from dead letters to written; the items a recovered thread or message
 * brings are added as read, written or dead), so {@code read = written + dead letters} keeps
 * holding with dead letters counting the unresolved ones. The account row is locked last and must
 * still be {@code completed}; if a new run started meanwhile the letter's work is rolled back and
 * left to that run.
 */
final class DeadLetterRetry {
  private static final Logger log = LoggerFactory.getLogger(DeadLetterRetry.class);
  /** Letters worked on at once per instance; each holds a connection while it works. */
  static final int CONCURRENCY = 2;

  private static final String OPEN = """
      select d.id from dead_letters d join accounts a on a.account_id = d.account_id
      where d.account_id = $1 and d.resolved_at is null and a.migration_status = 'completed'
      order by d.id""";

  /** The letter, locked, with the run it belongs to (its own, else the account's latest) for the rows it writes. */
  private static final String LOCK = """
      select d.id, d.kind, d.source_key, d.reason, coalesce(j.job_id, 0) as job_id, coalesce(j.lease_epoch, 0) as epoch
      from dead_letters d
      left join lateral (select m.job_id, m.lease_epoch from migration_jobs m
        where m.account_id = d.account_id and (d.job_id is null or m.job_id = d.job_id)
        order by m.job_id desc limit 1) j on true
      where d.id = $1 and d.account_id = $2 and d.resolved_at is null
      for update of d skip locked""";

  private final Vertx vertx;
  private final Pool pool;
  private final Context context;
  private final AttachmentRecovery attachments;
  private final SourceRecovery items;
  /** Letter ids this instance is working on; a second retry request does not take them again. */
  private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();

  DeadLetterRetry(Vertx vertx, Pool pool, DynamoSource source, MediaFetcher fetcher, Context context) {
    this.vertx = vertx;
    this.pool = pool;
    this.context = context;
    AttachmentCopier copier = new AttachmentCopier(vertx, fetcher);
    this.attachments = new AttachmentRecovery(copier);
    this.items = new SourceRecovery(source, context, copier);
  }

  /** Registers the consumer; completes once it is reachable. */
  Future<Void> register() {
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(Bus.DEAD_LETTERS_RETRY, this::handle);
    return consumer.completion();
  }

  private void handle(Message<JsonObject> message) {
    String accountId = message.body() == null ? null : message.body().getString("accountId");
    if (accountId == null) {
      message.fail(Bus.Failure.BAD_REQUEST.status, "accountId is required");
      return;
    }
    pool.preparedQuery(OPEN).execute(Tuple.of(accountId)).onComplete(ar -> {
      if (ar.failed()) {
        log.warn("account {}: dead letters to retry could not be read: {}", accountId, ar.cause().toString());
        message.fail(Bus.Failure.UNAVAILABLE.status, "dead letters could not be read");
        return;
      }
      List<Long> taken = new ArrayList<>();
      for (Row r : ar.result()) {
        long id = r.getLong(0);
        if (inFlight.add(id)) taken.add(id);
      }
      message.reply(new JsonObject().put("queued", taken.size()));
      if (!taken.isEmpty()) context.runOnContext(v -> run(accountId, taken));
    });
  }

  private void run(String accountId, List<Long> ids) {
    long started = System.currentTimeMillis();
    AtomicInteger resolved = new AtomicInteger();
    AtomicInteger still = new AtomicInteger();
    log.info("account {}: retrying {} dead letters in place", accountId, ids.size());
    Flowable.fromIterable(ids)
        .flatMapCompletable(id -> Rx.completable(() -> retryOne(accountId, id)
            .onSuccess(outcome -> {
              if (outcome == null) return;
              if (outcome.resolved()) resolved.incrementAndGet();
              else still.incrementAndGet();
            })
            .onComplete(ar -> inFlight.remove(id))), false, CONCURRENCY)
        .subscribe(() -> log.info("account {}: dead-letter retry done in {} ms: {} resolved, {} still failing, {} skipped",
                accountId, System.currentTimeMillis() - started, resolved.get(), still.get(),
                ids.size() - resolved.get() - still.get()),
            e -> log.warn("account {}: dead-letter retry stopped: {}", accountId, e.toString()));
  }

  /** One letter in its own transaction; never fails (a failure is logged and the letter left as it was). Null: skipped. */
  private Future<Outcome> retryOne(String accountId, long id) {
    return pool.withConnection(conn -> conn.query("begin").execute()
            .compose(v -> lock(conn, accountId, id))
            .compose(letter -> letter == null ? Future.succeededFuture((Outcome) null) : attempt(conn, letter))
            .compose(outcome -> conn.query("commit").execute().map(outcome),
                t -> conn.query("rollback").execute().transform(ignored -> Future.<Outcome>failedFuture(t))))
        .recover(t -> {
          if (t instanceof JobStore.AccountLeft) {
            log.info("account {}: dead letter {} left for the account's new run", accountId, id);
          } else {
            log.warn("account {}: dead letter {} could not be retried: {}", accountId, id, t.toString());
          }
          return Future.succeededFuture(null);
        });
  }

  private Future<RetryLetter> lock(SqlConnection conn, String accountId, long id) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(id, accountId)).map(rows -> {
      if (rows.size() == 0) return null; // resolved meanwhile, or another instance holds it
      Row r = rows.iterator().next();
      return new RetryLetter(r.getLong("id"), accountId, r.getString("kind"), new JsonObject(r.getString("source_key")),
          r.getString("reason"), r.getLong("job_id"), r.getLong("epoch"));
    });
  }

  /**
   * The retry under a savepoint: when it fails, what it wrote is undone and the letter records the
   * failure instead. The account's counts follow in the same transaction.
   */
  private Future<Outcome> attempt(SqlConnection conn, RetryLetter letter) {
    return conn.query("savepoint retry_item").execute()
        .compose(v -> recover(conn, letter))
        .recover(t -> {
          if (t instanceof JobStore.AccountLeft) return Future.failedFuture(t);
          String reason = t instanceof StillBad ? t.getMessage() : "retry failed: " + describe(t);
          return conn.query("rollback to savepoint retry_item").execute()
              .compose(v -> letter.stillFailing(conn, reason))
              .map(v -> new Outcome(false, new Counts()));
        })
        .compose(outcome -> RetryAccountCounts.add(conn, letter.accountId(), outcome.delta()).map(outcome));
  }

  private Future<Outcome> recover(SqlConnection conn, RetryLetter letter) {
    return switch (letter.kind()) {
      case "attachment" -> attachments.recover(conn, letter);
      case "message" -> items.message(conn, letter);
      case "thread" -> items.thread(conn, letter);
      default -> Future.failedFuture(new StillBad(letter.reason()));
    };
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return (t.getClass().getSimpleName() + (m == null ? "" : ": " + m)).replace('\u0000', '\uFFFD');
  }
}
