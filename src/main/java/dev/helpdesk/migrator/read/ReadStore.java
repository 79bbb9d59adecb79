package dev.helpdesk.migrator.read;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The read side of the migrated data (CONTRACT §3.3 lists, §3.4 shapes). Every list is keyset
 * paginated on a unique sort key and fetches one row more than the page to know whether another
 * page follows. An empty Optional means "not found, or not yours": the API cannot tell them apart
 * because the ownership check is part of the same query.
 */
public final class ReadStore {
  private static final Logger log = LoggerFactory.getLogger(ReadStore.class);

  /**
   * Message bodies go up to 400 KB each: a page stops early once its bodies pass this many bytes,
   * so one request can never hold 200 × 400 KB in memory. The first message is always returned.
   */
  public static final long MAX_PAGE_BODY_BYTES = 4L * 1024 * 1024;

  // The account row anchors the lateral page: no row means no such account, one row of nulls an empty list.
  private static final String THREADS = """
      select a.account_id as anchor, t.thread_id, t.account_id, t.channel_id, t.subject, t.status, t.customer,
             t.created_at, t.last_message_at, t.message_count
        from accounts a
        left join lateral (
          select * from threads t
           where t.account_id = a.account_id %s
           order by t.last_message_at desc, t.thread_id desc
           limit $2) t on true
       where a.account_id = $1
       order by t.last_message_at desc, t.thread_id desc
      """;
  static final String THREADS_FIRST = THREADS.formatted("");
  static final String THREADS_AFTER = THREADS.formatted("and (t.last_message_at, t.thread_id) < ($3, $4)");

  // The thread's account is checked against the token here, in the query, so a foreign thread
  // and a missing one are the same empty result. Bodies past the byte budget are cut in SQL, so
  // they never leave the database; `fetched` says how many rows the page could have had.
  private static final String MESSAGES = """
      select t.thread_id as anchor, p.message_id, p.sent_at, p.direction, p.author, p.body, p.content_type,
             p.telephony, p.fetched
        from threads t
        left join lateral (
          select w.*, count(*) over () as fetched,
                 sum(w.body_bytes) over (order by w.sent_at, w.message_id) - w.body_bytes as bytes_before
            from (select m.message_id, m.sent_at, m.direction, m.author, m.body, m.content_type, m.telephony,
                         coalesce(octet_length(m.body), 0) as body_bytes
                    from messages m
                   where m.thread_id = t.thread_id %s
                   order by m.sent_at, m.message_id
                   limit $3) w
        ) p on p.bytes_before < $4
       where t.thread_id = $1 and t.account_id = any($2)
       order by p.sent_at, p.message_id
      """;
  static final String MESSAGES_FIRST = MESSAGES.formatted("");
  static final String MESSAGES_AFTER = MESSAGES.formatted("and (m.sent_at, m.message_id) > ($5, $6)");

  // One query for the whole page's attachments, never one per message.
  static final String PAGE_ATTACHMENTS = """
      select message_id, attachment_id, file_name, content_type, size, state
        from attachments
       where thread_id = $1 and message_id = any($2)
       order by message_id, position, attachment_id
      """;

  static final String COPIED_ATTACHMENT = """
      select blob_sha256, stored_content_type
        from attachments
       where attachment_id = $1 and state = 'copied' and account_id = any($2)
      """;

  static final String DEAD_LETTERS = """
      select a.account_id as anchor, d.id, d.kind, d.source_key, d.reason, d.attempts, d.first_failed_at,
             d.last_failed_at
        from accounts a
        left join lateral (
          select * from dead_letters d
           where d.account_id = a.account_id and d.resolved_at is null and d.id > $2
           order by d.id
           limit $3) d on true
       where a.account_id = $1
       order by d.id
      """;

  static final String RETRY_TARGET = """
      select a.migration_status,
             (select count(*) from dead_letters d where d.account_id = a.account_id and d.resolved_at is null) as open
        from accounts a
       where a.account_id = $1
      """;

  public record Page(List<JsonObject> items, String nextCursor) {
    public JsonObject toJson() {
      return new JsonObject().put("items", new JsonArray(new ArrayList<>(items))).put("nextCursor", nextCursor);
    }
  }

  /** Where a copied attachment's bytes are and the type they were served with. */
  public record Blob(String sha256, String contentType) {}

  public record RetryTarget(String migrationStatus, long openDeadLetters) {}

  private final Pool pool;
  private final long queryTimeoutMs;

  public ReadStore(Pool pool, long queryTimeoutMs) {
    this.pool = pool;
    this.queryTimeoutMs = queryTimeoutMs;
  }

  /** {@code after}: the decoded {@link Cursor#THREADS} key, or null for the first page. */
  public Future<Optional<Page>> threads(String accountId, JsonArray after, int limit) {
    Tuple args = Tuple.of(accountId, (long) limit + 1);
    if (after != null) args.addLong(after.getLong(0)).addString(after.getString(1));
    return bounded(pool.preparedQuery(after == null ? THREADS_FIRST : THREADS_AFTER).execute(args)).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      List<JsonObject> items = new ArrayList<>();
      for (Row row : rows) if (row.getString("thread_id") != null) items.add(thread(row));
      return Optional.of(page(items, limit, items.size(), i ->
          Cursor.encode(Cursor.THREADS, items.get(i).getLong("lastMessageAt"), items.get(i).getString("threadId"))));
    });
  }

  /** The thread's messages, only if its account is one of {@code accounts}. */
  public Future<Optional<Page>> messages(String threadId, List<String> accounts, JsonArray after, int limit) {
    // built element by element: Tuple.of(..., String[]) would spread the array as varargs
    Tuple args = Tuple.tuple().addString(threadId).addArrayOfString(accounts.toArray(String[]::new))
        .addLong((long) limit + 1).addLong(MAX_PAGE_BODY_BYTES);
    if (after != null) args.addLong(after.getLong(0)).addString(after.getString(1));
    return bounded(pool.preparedQuery(after == null ? MESSAGES_FIRST : MESSAGES_AFTER).execute(args)).compose(rows -> {
      if (rows.size() == 0) return Future.succeededFuture(Optional.<Page>empty());
      Map<String, JsonObject> byId = new LinkedHashMap<>();
      long fetched = 0;
      for (Row row : rows) {
        if (row.getString("message_id") == null) continue;
        fetched = row.getLong("fetched");
        if (byId.size() < limit) byId.put(row.getString("message_id"), message(threadId, row));
      }
      List<JsonObject> items = new ArrayList<>(byId.values());
      Page page = page(items, limit, fetched, i ->
          Cursor.encode(Cursor.MESSAGES, items.get(i).getLong("sentAt"), items.get(i).getString("messageId")));
      if (byId.isEmpty()) return Future.succeededFuture(Optional.of(page));
      return attachments(threadId, byId).map(v -> Optional.of(page));
    });
  }

  private Future<Void> attachments(String threadId, Map<String, JsonObject> byMessage) {
    return bounded(pool.preparedQuery(PAGE_ATTACHMENTS)
        .execute(Tuple.tuple().addString(threadId).addArrayOfString(byMessage.keySet().toArray(String[]::new))))
        .map(rows -> {
          for (Row row : rows) {
            byMessage.get(row.getString("message_id")).getJsonArray("attachments").add(new JsonObject()
                .put("attachmentId", row.getString("attachment_id"))
                .put("fileName", row.getString("file_name"))
                .put("contentType", row.getString("content_type"))
                .put("size", row.getLong("size"))
                .put("state", row.getString("state")));
          }
          return null;
        });
  }

  /** A copied attachment of one of {@code accounts}; pending, failed, foreign and missing ones are all empty. */
  public Future<Optional<Blob>> copiedAttachment(String attachmentId, List<String> accounts) {
    Tuple args = Tuple.tuple().addString(attachmentId).addArrayOfString(accounts.toArray(String[]::new));
    return bounded(pool.preparedQuery(COPIED_ATTACHMENT).execute(args))
        .map(rows -> {
          if (rows.size() == 0) return Optional.empty();
          Row row = rows.iterator().next();
          return Optional.of(new Blob(row.getString("blob_sha256"), row.getString("stored_content_type")));
        });
  }

  /** The account's unresolved dead letters in id order; {@code afterId} 0 for the first page. */
  public Future<Optional<Page>> deadLetters(String accountId, long afterId, int limit) {
    return bounded(pool.preparedQuery(DEAD_LETTERS).execute(Tuple.of(accountId, afterId, (long) limit + 1))).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      List<JsonObject> items = new ArrayList<>();
      List<Long> ids = new ArrayList<>();
      for (Row row : rows) {
        if (row.getLong("id") == null) continue;
        items.add(deadLetter(row));
        ids.add(row.getLong("id"));
      }
      // the id is the sort key but not part of the shape: the cursor is read from the list beside it
      return Optional.of(page(items, limit, items.size(), i -> Cursor.encode(Cursor.DEAD_LETTERS, ids.get(i))));
    });
  }

  public Future<Optional<RetryTarget>> retryTarget(String accountId) {
    return bounded(pool.preparedQuery(RETRY_TARGET).execute(Tuple.of(accountId))).map(rows -> {
      if (rows.size() == 0) return Optional.empty();
      Row row = rows.iterator().next();
      return Optional.of(new RetryTarget(row.getString("migration_status"), row.getLong("open")));
    });
  }

  /**
   * The first {@code limit} items; a next cursor (the key of the last item kept, by its index)
   * whenever fewer items are kept than the query could have returned.
   */
  private static Page page(List<JsonObject> items, int limit, long available, IntFunction<String> cursorAt) {
    List<JsonObject> kept = items.size() > limit ? items.subList(0, limit) : items;
    boolean more = available > kept.size() && !kept.isEmpty();
    return new Page(List.copyOf(kept), more ? cursorAt.apply(kept.size() - 1) : null);
  }

  private static JsonObject thread(Row row) {
    return new JsonObject()
        .put("threadId", row.getString("thread_id"))
        .put("accountId", row.getString("account_id"))
        .put("channelId", row.getString("channel_id"))
        .put("subject", row.getString("subject"))
        .put("status", row.getString("status"))
        .put("customer", parsed(row.getString("customer")))
        .put("createdAt", row.getLong("created_at"))
        .put("lastMessageAt", row.getLong("last_message_at"))
        .put("messageCount", row.getInteger("message_count"));
  }

  private static JsonObject message(String threadId, Row row) {
    Buffer body = row.getBuffer("body");
    return new JsonObject()
        .put("messageId", row.getString("message_id"))
        .put("threadId", threadId)
        .put("sentAt", row.getLong("sent_at"))
        .put("direction", row.getString("direction"))
        .put("author", parsed(row.getString("author")))
        // bytea holds the source's UTF-8 bytes; U+0000 comes back as \u0000 in the JSON
        .put("body", body == null ? null : new String(body.getBytes(), StandardCharsets.UTF_8))
        .put("contentType", row.getString("content_type"))
        .put("attachments", new JsonArray())
        .put("telephony", parsed(row.getString("telephony")));
  }

  private static JsonObject deadLetter(Row row) {
    return new JsonObject()
        .put("kind", row.getString("kind"))
        .put("sourceKey", parsed(row.getString("source_key")))
        .put("reason", row.getString("reason"))
        .put("attempts", row.getInteger("attempts"))
        .put("firstFailedAt", iso(row.getOffsetDateTime("first_failed_at")))
        .put("lastFailedAt", iso(row.getOffsetDateTime("last_failed_at")));
  }

  private static String iso(OffsetDateTime t) {
    return t == null ? null : t.toInstant().truncatedTo(ChronoUnit.MILLIS).toString();
  }

  /** JSON kept as text (jsonb cannot hold U+0000); text that is not JSON is shown as the string it is. */
  private static Object parsed(String json) {
    if (json == null) return null;
    try {
      return io.vertx.core.json.Json.decodeValue(json);
    } catch (DecodeException e) {
      log.warn("stored JSON that does not parse ({} chars); served as a string", json.length());
      return json;
    }
  }

  private <T> Future<T> bounded(Future<T> query) {
    return query.timeout(queryTimeoutMs, TimeUnit.MILLISECONDS)
        .onFailure(t -> log.warn("read query failed: {}", t.toString()));
  }
}
