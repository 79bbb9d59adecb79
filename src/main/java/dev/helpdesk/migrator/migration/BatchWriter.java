package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.sink.Bulk;
import dev.helpdesk.migrator.sink.DeadLetterSink;
import dev.helpdesk.migrator.sink.DeadLetterSink.DeadLetter;
import dev.helpdesk.migrator.sink.MessageSink;
import dev.helpdesk.migrator.sink.MessageSink.AttachmentRow;
import dev.helpdesk.migrator.sink.ThreadSink;
import dev.helpdesk.migrator.source.MessageItem;
import dev.helpdesk.migrator.source.ThreadItem;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Commits one batch of a thread phase: its threads, messages, attachment records and dead
 * letters, the counts and the phase's new position, all in one transaction fenced by the job's
 * lease. When a row breaks the multi-row statements, the batch is written again row by row and
 * only that row becomes a dead letter.
 */
final class BatchWriter {
  private final Pool pool;
  private final RunState state;
  private final String phase;

  BatchWriter(Pool pool, RunState state, String phase) {
    this.pool = pool;
    this.state = state;
    this.phase = phase;
  }

  Future<Void> write(List<Element> batch) {
    BatchRows rows = new BatchRows(batch);
    Position next = state.position().after(batch);
    return pool.withTransaction(tx -> commit(tx, rows, next, false))
        .recover(t -> Bulk.isRowProblem(t) ? rowByRow(rows, next) : Future.failedFuture(t))
        .compose(committed -> state.committed(next, committed.delta(), committed.openFresh()));
  }

  /** @param openFresh see {@link RunState#openFresh()}, as it stands after this batch */
  private record Committed(Counts delta, Set<String> openFresh) {}

  /**
   * The same batch, one row at a time under savepoints. The client's own transactions give up
   * at the first failed statement, so this one is opened and closed by hand.
   */
  private Future<Committed> rowByRow(BatchRows rows, Position next) {
    return pool.withConnection(conn -> conn.query("begin").execute()
        .compose(v -> commit(conn, rows, next, true))
        .compose(counts -> conn.query("commit").execute().map(counts),
            t -> conn.query("rollback").execute().transform(ignored -> Future.<Committed>failedFuture(t))));
  }

  /**
   * Previously counted keys, by kind: rows this run wrote, and dead letters it recorded ({@code threads}:
   * either of the two).
   */
  private record Seen(Set<String> threads, Set<String> messages, Set<String> attachments, Set<String> dead) {
    /** The key is built only when the run has letters to match: building it for every item was 3 % of the event loop. */
    boolean dead(String kind, Supplier<String> sourceKey) {
      return !dead.isEmpty() && dead.contains(new DeadLetter(kind, sourceKey.get(), "").id());
    }
  }

  /** What the upserts did; {@code attempted} are the attachment records offered (a refused message's are not). */
  private record Written(Bulk.Outcome<ThreadItem> threads, Bulk.Outcome<MessageItem> messages,
                         List<AttachmentRow> attempted, Bulk.Outcome<AttachmentRow> attachments) {}

  private Future<Committed> commit(SqlConnection tx, BatchRows rows, Position next, boolean rowByRow) {
    Job job = state.job();
    return seen(tx, rows).compose(prior -> upsert(tx, rows, rowByRow).compose(written -> {
      Map<String, DeadLetter> letters = new LinkedHashMap<>(rows.bad);
      Counts delta = count(rows, prior, written, letters);
      Counts after = state.counts().copy();
      after.add(delta);
      // independent of one another, so sent together (pipelined on the connection, run in this order): one
      // round trip instead of four. The first to fail fails the rest and the transaction, as one by one.
      return Future.all(
              DeadLetterSink.upsert(tx, job.accountId(), job.jobId(), letters.values()),
              ThreadSink.recount(tx, rows.touchedThreads),
              JobStore.checkpoint(tx, job, phase, state.checkpoint(after, next)),
              state.progressIfDue(tx, after))
          .map(v -> new Committed(delta, openFresh(rows, prior)));
    }));
  }

  /** The threads this run opened new to the job and has not finished copying. */
  private static Set<String> openFresh(BatchRows rows, Seen prior) {
    Set<String> open = new HashSet<>();
    for (String t : rows.touchedThreads) {
      if (!prior.threads.contains(t) && !rows.endedThreads.contains(t)) open.add(t);
    }
    return open;
  }

  /**
   * A message or attachment row, or its dead letter, can be this job's only if the job counted the
   * message's thread before it, so only the items of such threads are looked up. The threads this run
   * opened new to the job and is still copying are known not to be such threads without asking. A batch of
   * new threads, the usual one, thus costs one lookup per thread instead of one per item.
   */
  private Future<Seen> seen(SqlConnection tx, BatchRows rows) {
    Job job = state.job();
    Set<String> open = state.openFresh();
    List<String> unsure = rows.touchedThreads.stream().filter(t -> !open.contains(t)).toList();
    return ThreadSink.countedBy(tx, job.accountId(), job.jobId(), unsure).compose(counted -> {
      List<MessageItem> messages = rows.messages.values().stream()
          .filter(m -> counted.contains(m.threadId())).toList();
      Set<String> attachments = new HashSet<>();
      rows.attachments.values().forEach(a -> {
        if (counted.contains(a.threadId())) attachments.add(a.ref().attachmentId());
      });
      // the three look-ups need only the counted threads: sent together
      Future<Set<String>> m = MessageSink.messagesWrittenBy(tx, job.jobId(), messages);
      Future<Set<String>> a = MessageSink.attachmentsWrittenBy(tx, job.jobId(), attachments);
      Future<Set<String>> d = DeadLetterSink.recordedBy(tx, job.accountId(), job.jobId(), rows.possibleDeadLetters(counted));
      return Future.all(m, a, d).map(v -> new Seen(counted, m.result(), a.result(), d.result()));
    });
  }

  /** Threads first, then messages (they reference them), then the attachment records of the messages stored. */
  private Future<Written> upsert(SqlConnection tx, BatchRows rows, boolean rowByRow) {
    Job job = state.job();
    String account = job.accountId();
    if (!rowByRow) {
      // A multi-row statement refuses no single row, it fails whole, so every attachment record is offered and
      // the three statements go out together (pipelined, run in this order): one round trip instead of three.
      List<AttachmentRow> attempted = List.copyOf(rows.attachments.values());
      var threads = ThreadSink.upsert(tx, account, job.epoch(), job.jobId(), List.copyOf(rows.threads.values()), false);
      var messages = MessageSink.upsertMessages(tx, account, job.epoch(), job.jobId(), List.copyOf(rows.messages.values()), false);
      var attachments = MessageSink.upsertAttachments(tx, account, job.epoch(), job.jobId(), attempted, false);
      return Future.all(threads, messages, attachments)
          .map(v -> new Written(threads.result(), messages.result(), attempted, attachments.result()));
    }
    // row by row, each statement's refusals decide what the next one may write
    return ThreadSink.upsert(tx, account, job.epoch(), job.jobId(), List.copyOf(rows.threads.values()), true)
        .compose(threads -> MessageSink.upsertMessages(tx, account, job.epoch(), job.jobId(),
                List.copyOf(rows.messages.values()), rowByRow)
            .compose(messages -> {
              Set<String> refused = new HashSet<>();
              messages.refused().forEach(r -> refused.add(MessageSink.key(r.row().threadId(), r.row().messageId())));
              List<AttachmentRow> attempted = rows.attachments.values().stream()
                  .filter(a -> !refused.contains(MessageSink.key(a.threadId(), a.messageId()))).toList();
              return MessageSink.upsertAttachments(tx, account, job.epoch(), job.jobId(), attempted, rowByRow)
                  .map(attachments -> new Written(threads, messages, attempted, attachments));
            }));
  }

  /** Counts each item the first time this run commits it, and turns refused rows into dead letters. */
  private static Counts count(BatchRows rows, Seen prior, Written written, Map<String, DeadLetter> letters) {
    Bulk.Outcome<ThreadItem> threads = written.threads();
    Bulk.Outcome<MessageItem> messages = written.messages();
    Bulk.Outcome<AttachmentRow> attachments = written.attachments();
    List<AttachmentRow> attempted = written.attempted();
    Counts c = new Counts();
    Map<String, String> refusedThreads = new HashMap<>();
    threads.refused().forEach(r -> refusedThreads.put(r.row().threadId(), r.reason()));
    for (ThreadItem t : rows.threads.values()) {
      DeadLetter failed = refusedThreads.containsKey(t.threadId()) ? new DeadLetter("thread", BatchRows.threadKey(t),
          "thread " + t.threadId() + " could not be stored: " + refusedThreads.get(t.threadId())
              + "; its messages were not migrated") : null;
      tally(c, "thread", prior.threads.contains(t.threadId()) || prior.dead("thread", () -> BatchRows.threadKey(t)), failed,
          letters, false);
    }
    Map<String, String> refusedMessages = new HashMap<>();
    messages.refused().forEach(r -> refusedMessages.put(MessageSink.key(r.row().threadId(), r.row().messageId()), r.reason()));
    rows.messages.forEach((key, m) -> {
      String reason = refusedMessages.get(key);
      DeadLetter failed = reason == null ? null : new DeadLetter("message", BatchRows.messageKey(m),
          "message " + m.threadId() + "/" + m.messageId() + " could not be stored: " + reason);
      tally(c, "message", prior.messages.contains(key) || prior.dead("message", () -> BatchRows.messageKey(m)), failed,
          letters, false);
    });
    Map<String, String> refusedAttachments = new HashMap<>();
    attachments.refused().forEach(r -> refusedAttachments.put(r.row().ref().attachmentId(), r.reason()));
    Set<String> copied = new HashSet<>();
    for (Row r : attachments.returned()) if ("copied".equals(r.getString("state"))) copied.add(r.getString("attachment_id"));
    for (AttachmentRow a : attempted) {
      String id = a.ref().attachmentId();
      String reason = refusedAttachments.get(id);
      DeadLetter failed = reason == null ? null : new DeadLetter("attachment", BatchRows.attachmentKey(a),
          "attachment " + id + " could not be recorded: " + reason);
      // a pending record is written only once copied (the copy step counts it); an earlier run's copy counts now
      tally(c, "attachment", prior.attachments.contains(id) || prior.dead("attachment", () -> BatchRows.attachmentKey(a)),
          failed, letters, !copied.contains(id));
    }
    for (DeadLetter d : rows.bad.values()) {
      if (prior.dead.contains(d.id())) continue;
      c.read(d.kind());
      c.dead(d.kind());
    }
    return c;
  }

  private static void tally(Counts c, String kind, boolean countedBefore, DeadLetter failed,
                            Map<String, DeadLetter> letters, boolean notYetWritten) {
    if (failed != null) letters.put(failed.id(), failed);
    if (countedBefore) return;
    c.read(kind);
    if (failed != null) c.dead(kind);
    else if (!notYetWritten) c.written(kind);
  }
}
