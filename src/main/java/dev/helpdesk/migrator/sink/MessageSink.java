package dev.helpdesk.migrator.sink;

import dev.helpdesk.migrator.source.AttachmentRef;
import dev.helpdesk.migrator.source.MessageItem;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Migrated messages and their attachment records. A body is stored as its UTF-8 bytes, the one
 * form PostgreSQL keeps losslessly for every string DynamoDB can hold (U+0000 included).
 */
public final class MessageSink {
  private MessageSink() {}

  /** One attachment entry of a migrated message, in its place in the message's list. */
  public record AttachmentRow(String threadId, String messageId, int position, AttachmentRef ref) {}

  /** The upsert into {@code table}: the load-test harness measures the write ceiling with this very statement. */
  public static String upsertMessagesInto(String table) {
    return """
      insert into %s (thread_id, message_id, account_id, sent_at, direction, author, body, content_type,
        telephony, extra, migrated_epoch, migrated_job)
      select m.t, m.id, $1, m.sent, m.dir, m.author, m.body, m.ct, m.tel, m.extra, $2, $3
      from unnest($4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::bytea[], $10::text[],
        $11::text[], $12::text[]) as m(t, id, sent, dir, author, body, ct, tel, extra)
      on conflict (thread_id, message_id) do update set account_id = excluded.account_id, sent_at = excluded.sent_at,
        direction = excluded.direction, author = excluded.author, body = excluded.body,
        content_type = excluded.content_type, telephony = excluded.telephony, extra = excluded.extra,
        migrated_epoch = excluded.migrated_epoch, migrated_job = excluded.migrated_job""".formatted(table);
  }

  private static final String UPSERT_MESSAGES = upsertMessagesInto("messages");

  /**
   * A re-read attachment keeps its copy unless its URL changed; a failed one goes back to
   * pending so a new run tries it again. The returned state tells the caller whether it is
   * already copied.
   */
  private static final String UPSERT_ATTACHMENTS = """
      insert into attachments (attachment_id, account_id, thread_id, message_id, position, url, file_name,
        content_type, size, migrated_epoch, migrated_job)
      select a.id, $1, a.t, a.m, a.pos, a.url, a.name, a.ct, a.size, $2, $3
      from unnest($4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[], $11::bigint[])
        as a(id, t, m, pos, url, name, ct, size)
      on conflict (attachment_id) do update set account_id = excluded.account_id, thread_id = excluded.thread_id,
        message_id = excluded.message_id, position = excluded.position, file_name = excluded.file_name,
        content_type = excluded.content_type, size = excluded.size,
        state = case when attachments.url is distinct from excluded.url or attachments.state = 'failed'
          then 'pending' else attachments.state end,
        url = excluded.url, migrated_epoch = excluded.migrated_epoch, migrated_job = excluded.migrated_job,
        updated_at = now()
      returning attachment_id, state""";

  private static final String MESSAGES_WRITTEN_BY = """
      select m.thread_id, m.message_id from messages m
      join unnest($1::text[], $2::text[]) as k(t, id) on m.thread_id = k.t and m.message_id = k.id
      where m.migrated_job = $3""";

  private static final String ATTACHMENTS_WRITTEN_BY =
      "select attachment_id from attachments where attachment_id = any($1) and migrated_job = $2";

  public static Future<Bulk.Outcome<MessageItem>> upsertMessages(SqlClient tx, String accountId, long epoch, long jobId,
                                                                 List<MessageItem> messages, boolean rowByRow) {
    return Bulk.run(tx, UPSERT_MESSAGES, messages, rows -> {
      int n = rows.size();
      String[] threads = new String[n], ids = new String[n], dirs = new String[n], authors = new String[n],
          types = new String[n], tels = new String[n], extras = new String[n];
      Long[] sent = new Long[n];
      Buffer[] bodies = new Buffer[n];
      for (int i = 0; i < n; i++) {
        MessageItem m = rows.get(i);
        threads[i] = m.threadId();
        ids[i] = m.messageId();
        sent[i] = m.sentAt();
        dirs[i] = Text.displayable(m.direction());
        authors[i] = m.authorJson();
        bodies[i] = m.body() == null ? null : Buffer.buffer(m.body().getBytes(StandardCharsets.UTF_8));
        types[i] = Text.displayable(m.contentType());
        tels[i] = m.telephonyJson();
        extras[i] = m.extraJson();
      }
      return Tuple.of(accountId, epoch, jobId, threads, ids, sent, dirs, authors, bodies, types)
          .addValue(tels).addValue(extras);
    }, rowByRow);
  }

  public static Future<Bulk.Outcome<AttachmentRow>> upsertAttachments(SqlClient tx, String accountId, long epoch,
                                                                      long jobId, List<AttachmentRow> attachments,
                                                                      boolean rowByRow) {
    return Bulk.run(tx, UPSERT_ATTACHMENTS, attachments, rows -> {
      int n = rows.size();
      String[] ids = new String[n], threads = new String[n], messages = new String[n], urls = new String[n],
          names = new String[n], types = new String[n];
      Integer[] positions = new Integer[n];
      Long[] sizes = new Long[n];
      for (int i = 0; i < n; i++) {
        AttachmentRow a = rows.get(i);
        ids[i] = a.ref().attachmentId();
        threads[i] = a.threadId();
        messages[i] = a.messageId();
        positions[i] = a.position();
        urls[i] = a.ref().url();
        names[i] = Text.displayable(a.ref().fileName());
        types[i] = Text.displayable(a.ref().contentType());
        sizes[i] = a.ref().size();
      }
      return Tuple.of(accountId, epoch, jobId, ids, threads, messages, positions, urls, names, types).addValue(sizes);
    }, rowByRow);
  }

  /** Keys "threadId\u0000messageId" of the messages this run has already written. */
  public static Future<Set<String>> messagesWrittenBy(SqlClient tx, long jobId, List<MessageItem> messages) {
    List<MessageItem> keys = messages.stream()
        .filter(x -> Text.storable(x.threadId()) && Text.storable(x.messageId())).toList();
    if (keys.isEmpty()) return Future.succeededFuture(Set.of());
    String[] t = keys.stream().map(MessageItem::threadId).toArray(String[]::new);
    String[] m = keys.stream().map(MessageItem::messageId).toArray(String[]::new);
    return tx.preparedQuery(MESSAGES_WRITTEN_BY).execute(Tuple.of(t, m, jobId)).map(rows -> {
      Set<String> out = new HashSet<>();
      rows.forEach(r -> out.add(key(r.getString(0), r.getString(1))));
      return out;
    });
  }

  public static Future<Set<String>> attachmentsWrittenBy(SqlClient tx, long jobId, Set<String> attachmentIds) {
    String[] ids = attachmentIds.stream().filter(Text::storable).toArray(String[]::new);
    if (ids.length == 0) return Future.succeededFuture(Set.of());
    return tx.preparedQuery(ATTACHMENTS_WRITTEN_BY).execute(Tuple.of(ids, jobId))
        .map(rows -> {
          Set<String> out = new HashSet<>();
          rows.forEach(r -> out.add(r.getString(0)));
          return out;
        });
  }

  public static String key(String threadId, String messageId) {
    return threadId + '\u0000' + messageId;
  }
}
