package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.migration.RetryLetter.Outcome;
import dev.helpdesk.migrator.migration.RetryLetter.StillBad;
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
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Retries a message's or a thread's dead letter: the item is read again by its key and decoded;
 * when it is good now it is upserted with the sinks the runs use (a thread with all its messages),
 * its attachments copied, and the letter resolved. New bad records met on the way (a recovered
 * thread's bad messages) become dead letters of their own.
 */
final class SourceRecovery {
  /** Copies at once for the attachments of one recovered thread or message. */
  private static final int FETCH_CONCURRENCY = 2;

  private final DynamoSource source;
  private final Context context;
  private final AttachmentCopier copier;

  SourceRecovery(DynamoSource source, Context context, AttachmentCopier copier) {
    this.source = source;
    this.context = context;
    this.copier = copier;
  }

  Future<Outcome> message(SqlConnection conn, RetryLetter letter) {
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
          .compose(v -> letter.resolve(conn))
          .map(v -> {
            delta.recovered("message");
            return new Outcome(true, delta);
          });
    });
  }

  Future<Outcome> thread(SqlConnection conn, RetryLetter letter) {
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
          .compose(v -> letter.resolve(conn))
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
  private Future<Void> write(SqlConnection conn, RetryLetter letter, BatchRows rows, boolean newMessages, Counts delta,
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
  private Future<Void> copy(SqlConnection conn, RetryLetter letter, List<Pending> pending, Counts delta) {
    if (pending.isEmpty()) return Future.succeededFuture();
    // no waiting out an outage while the letter's locks are held: a failed copy becomes a dead letter
    Single<List<Result>> copies = Flowable.fromIterable(pending)
        .flatMapSingle(p -> Rx.single(() -> copier.copy(p, AttachmentCopier.Outage.FAIL_FAST)), false, FETCH_CONCURRENCY)
        .toList();
    Promise<List<Result>> done = Promise.promise();
    copies.subscribe(done::tryComplete, done::tryFail);
    return done.future().compose(results -> copier.record(conn, letter.accountId(), letter.jobId(), results, delta));
  }

  /** The first item of a key read, or null when there is none. */
  private static Future<Map<String, AttributeValue>> first(Flowable<Page> pages) {
    Promise<Map<String, AttributeValue>> p = Promise.promise();
    pages.concatMapIterable(Page::items).firstElement()
        .subscribe(p::tryComplete, p::tryFail, () -> p.tryComplete(null));
    return p.future();
  }
}
