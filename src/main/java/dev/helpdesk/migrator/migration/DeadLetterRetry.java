package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.media.MediaFailure;
import dev.helpdesk.migrator.media.MediaFetcher;
import dev.helpdesk.migrator.sink.AttachmentSink;
import dev.helpdesk.migrator.sink.AttachmentSink.Pending;
import dev.helpdesk.migrator.sink.AttachmentSink.Result;
import dev.helpdesk.migrator.sink.DeadLetterSink;
import dev.helpdesk.migrator.sink.DeadLetterSink.DeadLetter;
import dev.helpdesk.migrator.sink.MessageSink;
import dev.helpdesk.migrator.sink.MessageSink.AttachmentRow;
import dev.helpdesk.migrator.sink.ThreadSink;
import dev.helpdesk.migrator.source.Decoded;
import dev.helpdesk.migrator.source.DynamoSource;
import dev.helpdesk.migrator.source.MessageItem;
import dev.helpdesk.migrator.source.Page;
import dev.helpdesk.migrator.source.ThreadItem;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Single;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Retries a {@code completed} account's unresolved dead letters in place (CONTRACT §3.3), the
 * consumer of {@link Bus#DEAD_LETTERS_RETRY}. It answers at once with how many letters it took,
 * then works through them in the background on the runner's context, {@link #CONCURRENCY} at a
 * time:
 * <ul>
 *   <li>attachment: its row is fetched again (same fetcher, same URL policy); copied → the row is
 *   copied and the letter resolved. A letter whose entry was malformed in the source has no row: it
 *   stays;</li>
 *   <li>message, thread: the item is read again by its key and decoded; when it is good now it is
 *   upserted with the sinks the runs use (a thread with all its messages), its attachments copied,
 *   and the letter resolved. New bad records met on the way (a recovered thread's bad messages)
 *   become dead letters of their own.</li>
 * </ul>
 * Whatever still fails keeps its letter with attempts + 1, last_failed_at and the new reason.
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
  /** Copies at once for the attachments of one recovered thread or message. */
  private static final int FETCH_CONCURRENCY = 2;

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

  private static final String RESOLVE = "update dead_letters set resolved_at = now() where id = $1";

  private static final String STILL_FAILING = """
      update dead_letters set attempts = attempts + 1, last_failed_at = now(), reason = $2 where id = $1""";

  private static final String ATTACHMENT = """
      select thread_id, message_id, url, state from attachments where attachment_id = $1 and account_id = $2
      for update""";

  private static final String ATTACHMENT_COPIED = """
      update attachments set state = 'copied', blob_sha256 = $2, stored_content_type = $3, stored_size = $4,
        attempts = attempts + $5, updated_at = now()
      where attachment_id = $1""";

  private static final String ATTACHMENT_FAILED = """
      update attachments set attempts = attempts + $2, updated_at = now() where attachment_id = $1""";

  private static final String ACCOUNT = """
      select reconciliation, progress from accounts where account_id = $1 and migration_status = 'completed'
      for update""";

  private static final String ACCOUNT_COUNTS = """
      update accounts set reconciliation = $2, progress = $3, updated_at = now() where account_id = $1""";

  /** The item is still a bad record (or gone): the letter stays, with this reason. */
  private static final class StillBad extends RuntimeException {
    StillBad(String reason) {
      super(reason, null, false, false);
    }
  }

  private record Letter(long id, String accountId, String kind, JsonObject key, String reason, long jobId, long epoch) {}

  /** How one letter ended: resolved or not, and what the account's counts gain. */
  private record Outcome(boolean resolved, Counts delta) {}

  private final Vertx vertx;
  private final Pool pool;
  private final DynamoSource source;
  private final MediaFetcher fetcher;
  private final Context context;
  /** Letter ids this instance is working on; a second retry request does not take them again. */
  private final Set<Long> inFlight = ConcurrentHashMap.newKeySet();

  DeadLetterRetry(Vertx vertx, Pool pool, DynamoSource source, MediaFetcher fetcher, Context context) {
    this.vertx = vertx;
    this.pool = pool;
    this.source = source;
    this.fetcher = fetcher;
    this.context = context;
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

  private Future<Letter> lock(SqlConnection conn, String accountId, long id) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(id, accountId)).map(rows -> {
      if (rows.size() == 0) return null; // resolved meanwhile, or another instance holds it
      Row r = rows.iterator().next();
      return new Letter(r.getLong("id"), accountId, r.getString("kind"), new JsonObject(r.getString("source_key")),
          r.getString("reason"), r.getLong("job_id"), r.getLong("epoch"));
    });
  }

  /**
   * The retry under a savepoint: when it fails, what it wrote is undone and the letter records the
   * failure instead. The account's counts follow in the same transaction.
   */
  private Future<Outcome> attempt(SqlConnection conn, Letter letter) {
    return conn.query("savepoint retry_item").execute()
        .compose(v -> recover(conn, letter))
        .recover(t -> {
          if (t instanceof JobStore.AccountLeft) return Future.failedFuture(t);
          String reason = t instanceof StillBad ? t.getMessage() : "retry failed: " + describe(t);
          return conn.query("rollback to savepoint retry_item").execute()
              .compose(v -> stillFailing(conn, letter, reason))
              .map(v -> new Outcome(false, new Counts()));
        })
        .compose(outcome -> counts(conn, letter.accountId(), outcome.delta()).map(outcome));
  }

  private Future<Outcome> recover(SqlConnection conn, Letter letter) {
    return switch (letter.kind()) {
      case "attachment" -> attachment(conn, letter);
      case "message" -> message(conn, letter);
      case "thread" -> thread(conn, letter);
      default -> Future.failedFuture(new StillBad(letter.reason()));
    };
  }

  // --- attachments -------------------------------------------------------------------------

  private Future<Outcome> attachment(SqlConnection conn, Letter letter) {
    String attachmentId = letter.key().getString("attachmentId");
    // an entry without a usable id has no row: nothing to fetch
    if (attachmentId == null) return Future.failedFuture(new StillBad(letter.reason()));
    return conn.preparedQuery(ATTACHMENT).execute(Tuple.of(attachmentId, letter.accountId())).compose(rows -> {
      // no row: its entry was malformed in the source (or refused by PostgreSQL), so nothing to copy
      if (rows.size() == 0) return Future.failedFuture(new StillBad(letter.reason()));
      Row row = rows.iterator().next();
      Counts delta = new Counts();
      delta.recovered("attachment");
      if ("copied".equals(row.getString("state"))) {
        return resolve(conn, letter).map(v -> new Outcome(true, delta));
      }
      Pending p = new Pending(attachmentId, row.getString("thread_id"), row.getString("message_id"), row.getString("url"));
      return fetch(p).compose(r -> {
        if (r.copied()) {
          return conn.preparedQuery(ATTACHMENT_COPIED)
              .execute(Tuple.of(attachmentId, r.sha256(), r.contentType(), r.size(), r.attempts()))
              .compose(v -> resolve(conn, letter))
              .map(v -> new Outcome(true, delta));
        }
        return conn.preparedQuery(ATTACHMENT_FAILED).execute(Tuple.of(attachmentId, r.attempts()))
            .compose(v -> stillFailing(conn, letter, r.failure()))
            .map(v -> new Outcome(false, new Counts()));
      });
    });
  }

  /** One copy, as the attachments phase makes it; a failure is a result, not a failed future. */
  private Future<Result> fetch(Pending p) {
    return fetcher.fetch(p.attachmentId(), p.url())
        .map(f -> new Result(p, f.sha256(), f.size(), f.contentType(), null, 1))
        .recover(t -> Future.succeededFuture(t instanceof MediaFailure mf
            ? new Result(p, null, 0, null, mf.reason(), Math.max(1, mf.attempts()))
            : new Result(p, null, 0, null, "copy failed: " + t, 1)));
  }

  // --- messages and threads ----------------------------------------------------------------

  private Future<Outcome> message(SqlConnection conn, Letter letter) {
    String threadId = letter.key().getString("threadId");
    String messageId = letter.key().getString("messageId");
    if (threadId == null || messageId == null) return Future.failedFuture(new StillBad(letter.reason()));
    return first(source.message(context, threadId, messageId)).compose(item -> {
      if (item == null) {
        return Future.failedFuture(new StillBad("message " + threadId + "/" + messageId + " is no longer in the source"));
      }
      Decoded<MessageItem> decoded = Decoded.message(item);
      if (decoded instanceof Decoded.Bad<MessageItem> bad) return Future.failedFuture(new StillBad(bad.reason()));
      Counts delta = new Counts();
      List<Pending> pending = new ArrayList<>();
      BatchRows rows = new BatchRows(List.of(new Element.Message(threadId, messageId, decoded)));
      return write(conn, letter, rows, false, delta, pending)
          .compose(v -> copy(conn, letter, pending, delta))
          .compose(v -> resolve(conn, letter))
          .map(v -> {
            delta.recovered("message");
            return new Outcome(true, delta);
          });
    });
  }

  private Future<Outcome> thread(SqlConnection conn, Letter letter) {
    String threadId = letter.key().getString("threadId");
    if (threadId == null) return Future.failedFuture(new StillBad(letter.reason()));
    return first(source.thread(context, letter.accountId(), threadId)).compose(item -> {
      if (item == null) {
        return Future.failedFuture(new StillBad("thread " + threadId + " is no longer in the source"));
      }
      Decoded<ThreadItem> decoded = Decoded.thread(item);
      if (decoded instanceof Decoded.Bad<ThreadItem> bad) {
        return Future.failedFuture(new StillBad(bad.reason() + "; its messages were not migrated"));
      }
      ThreadItem thread = ((Decoded.Good<ThreadItem>) decoded).value();
      Counts delta = new Counts();
      List<Pending> pending = new ArrayList<>();
      // the thread first (its messages reference it), then its messages one source page at a time
      Flowable<List<Element>> pages = source.messages(context, threadId, null).map(page -> {
        List<Element> elements = new ArrayList<>(page.items().size() + 1);
        for (Map<String, AttributeValue> m : page.items()) {
          elements.add(new Element.Message(ThreadStream.s(m, "threadId"), ThreadStream.s(m, "messageId"),
              Decoded.message(m)));
        }
        elements.add(new Element.ThreadEnd(threadId));
        return elements;
      });
      return write(conn, letter, new BatchRows(List.of(new Element.ThreadStart(thread))), true, delta, pending)
          .compose(v -> Rx.future(pages.concatMapCompletable(elements ->
              Rx.completable(() -> write(conn, letter, new BatchRows(elements), true, delta, pending)))))
          .compose(v -> copy(conn, letter, pending, delta))
          .compose(v -> resolve(conn, letter))
          .map(v -> {
            delta.recovered("thread");
            return new Outcome(true, delta);
          });
    });
  }

  /**
   * Upserts the rows with the runs' sinks under the letter's run, and counts what they bring:
   * messages (when {@code newMessages}: a recovered thread's), attachment entries, and the bad
   * records met, which become dead letters. Attachments not yet copied are added to {@code pending}.
   */
  private Future<Void> write(SqlConnection conn, Letter letter, BatchRows rows, boolean newMessages, Counts delta,
                             List<Pending> pending) {
    String account = letter.accountId();
    long epoch = letter.epoch(), job = letter.jobId();
    List<AttachmentRow> attachments = List.copyOf(rows.attachments.values());
    return ThreadSink.upsert(conn, account, epoch, job, List.copyOf(rows.threads.values()), false)
        .compose(t -> MessageSink.upsertMessages(conn, account, epoch, job, List.copyOf(rows.messages.values()), false))
        .compose(m -> MessageSink.upsertAttachments(conn, account, epoch, job, attachments, false))
        .compose(written -> {
          if (newMessages) {
            for (int i = 0; i < rows.messages.size(); i++) {
              delta.read("message");
              delta.written("message");
            }
          }
          for (Row r : written.returned()) {
            String id = r.getString("attachment_id");
            delta.read("attachment");
            if ("copied".equals(r.getString("state"))) {
              delta.written("attachment");
            } else {
              AttachmentRow a = rows.attachments.get(id);
              pending.add(new Pending(id, a.threadId(), a.messageId(), a.ref().url()));
            }
          }
          for (DeadLetter d : rows.bad.values()) {
            delta.read(d.kind());
            delta.dead(d.kind());
          }
          return DeadLetterSink.upsert(conn, account, job, rows.bad.values());
        })
        .compose(v -> ThreadSink.recount(conn, rows.touchedThreads));
  }

  /** Copies the pending attachments and records how each ended, as the attachments phase does. */
  private Future<Void> copy(SqlConnection conn, Letter letter, List<Pending> pending, Counts delta) {
    if (pending.isEmpty()) return Future.succeededFuture();
    Single<List<Result>> copies = Flowable.fromIterable(pending)
        .flatMapSingle(p -> Rx.single(() -> fetch(p)), false, FETCH_CONCURRENCY)
        .toList();
    Promise<List<Result>> done = Promise.promise();
    copies.subscribe(done::tryComplete, done::tryFail);
    return done.future().compose(results -> AttachmentSink.settle(conn, letter.jobId(), results).compose(changed -> {
      Set<String> counted = Set.copyOf(changed);
      List<DeadLetter> letters = new ArrayList<>();
      for (Result r : results) {
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
      return DeadLetterSink.upsert(conn, letter.accountId(), letter.jobId(), letters);
    }));
  }

  // --- the letter and the account ----------------------------------------------------------

  private static Future<Void> resolve(SqlConnection conn, Letter letter) {
    return conn.preparedQuery(RESOLVE).execute(Tuple.of(letter.id())).mapEmpty();
  }

  private static Future<Void> stillFailing(SqlConnection conn, Letter letter, String reason) {
    String text = reason == null || reason.isEmpty() ? letter.reason() : reason.replace('\u0000', '\uFFFD');
    return conn.preparedQuery(STILL_FAILING).execute(Tuple.of(letter.id(), text)).mapEmpty();
  }

  /**
   * The account must still be completed (locked last, after the letter and the rows); its
   * reconciliation and progress take in the delta.
   */
  private static Future<Void> counts(SqlConnection conn, String accountId, Counts delta) {
    return conn.preparedQuery(ACCOUNT).execute(Tuple.of(accountId)).compose(rows -> {
      if (rows.size() == 0) return Future.failedFuture(new JobStore.AccountLeft(accountId));
      if (delta.isZero()) return Future.succeededFuture();
      Row row = rows.iterator().next();
      JsonObject reconciliation = json(row.getValue("reconciliation"));
      JsonObject progress = json(row.getValue("progress"));
      JsonObject d = delta.toJson();
      JsonObject recon = reconciliation == null ? null : reconciliation.copy();
      long dead = 0;
      for (String kind : Counts.KINDS) {
        JsonObject k = d.getJsonObject(kind);
        dead += k.getLong("dead");
        if (recon == null) continue;
        JsonObject r = recon.getJsonObject(kind, new JsonObject()).copy();
        long read = r.getLong("itemsRead", 0L) + k.getLong("read");
        long written = r.getLong("rowsWritten", 0L) + k.getLong("written");
        long letters = r.getLong("deadLetters", 0L) + k.getLong("dead");
        recon.put(kind, r.put("itemsRead", read).put("rowsWritten", written).put("deadLetters", letters)
            .put("ok", read == written + letters));
      }
      JsonObject prog = progress == null ? null : progress.copy();
      if (prog != null) {
        prog.put("threadsMigrated", prog.getLong("threadsMigrated", 0L) + d.getJsonObject("threads").getLong("written"))
            .put("messagesMigrated", prog.getLong("messagesMigrated", 0L) + d.getJsonObject("messages").getLong("written"))
            .put("attachmentsMigrated", prog.getLong("attachmentsMigrated", 0L)
                + d.getJsonObject("attachments").getLong("written"))
            .put("deadLetters", Math.max(0, prog.getLong("deadLetters", 0L) + dead))
            .put("updatedAt", Instant.now().toString());
      }
      return conn.preparedQuery(ACCOUNT_COUNTS).execute(Tuple.of(accountId, recon, prog)).mapEmpty();
    });
  }

  private static JsonObject json(Object value) {
    if (value instanceof JsonObject o) return o;
    if (value instanceof String s) return new JsonObject(s);
    return null;
  }

  /** The first item of a key read, or null when there is none. */
  private static Future<Map<String, AttributeValue>> first(Flowable<Page> pages) {
    Promise<Map<String, AttributeValue>> p = Promise.promise();
    pages.concatMapIterable(Page::items).firstElement()
        .subscribe(p::tryComplete, p::tryFail, () -> p.tryComplete(null));
    return p.future();
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return (t.getClass().getSimpleName() + (m == null ? "" : ": " + m)).replace('\u0000', '\uFFFD');
  }
}
