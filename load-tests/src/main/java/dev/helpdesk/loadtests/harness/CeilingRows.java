package dev.helpdesk.loadtests.harness;

import dev.helpdesk.migrator.sink.MessageSink;
import dev.helpdesk.migrator.sink.ThreadSink;
import dev.helpdesk.migrator.source.AttributeJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The rows the write ceilings (S, O) send, made of the source items R read, and the service's own
 * statements aimed at scratch copies of its tables.
 */
final class CeilingRows {
  static final String UPSERT_THREADS = ThreadSink.upsertInto("lt_scratch_threads");
  static final String UPSERT_MESSAGES = MessageSink.upsertMessagesInto("lt_scratch_messages");

  private static final Set<String> THREAD_NAMED = Set.of("accountId", "threadId", "channelId", "subject", "status",
      "customer", "createdAt", "lastMessageAt", "messageCount", "tags");
  private static final Set<String> MESSAGE_NAMED = Set.of("threadId", "messageId", "accountId", "sentAt", "direction",
      "author", "body", "contentType", "attachments", "telephony");

  private CeilingRows() {}

  static Tuple threadTuple(List<Map<String, AttributeValue>> rows, String suffix) {
    int n = rows.size();
    String[] ids = new String[n], channels = new String[n], subjects = new String[n], statuses = new String[n],
        customers = new String[n], tags = new String[n], extras = new String[n];
    Long[] created = new Long[n], last = new Long[n], counts = new Long[n];
    for (int i = 0; i < n; i++) {
      Map<String, AttributeValue> t = rows.get(i);
      ids[i] = s(t, "threadId", "?" + i) + suffix;
      channels[i] = s(t, "channelId", "?");
      subjects[i] = s(t, "subject", null);
      statuses[i] = s(t, "status", null);
      customers[i] = t.get("customer") == null ? null : AttributeJson.plainJson(t.get("customer"));
      created[i] = n(t, "createdAt", 0L);
      last[i] = n(t, "lastMessageAt", 0L);
      counts[i] = n(t, "messageCount", null);
      tags[i] = t.get("tags") == null || !t.get("tags").hasSs() ? null : new JsonArray(List.copyOf(t.get("tags").ss())).encode();
      extras[i] = extra(t, THREAD_NAMED);
    }
    return Tuple.of(s(rows.get(0), "accountId", "?"), 1L, 1L, ids, channels, subjects, statuses, customers, created, last)
        .addValue(counts).addValue(tags).addValue(extras);
  }

  static Tuple messageTuple(List<Map<String, AttributeValue>> rows, String suffix) {
    int n = rows.size();
    String[] threads = new String[n], ids = new String[n], dirs = new String[n], authors = new String[n],
        types = new String[n], tels = new String[n], extras = new String[n];
    Long[] sent = new Long[n];
    Buffer[] bodies = new Buffer[n];
    for (int i = 0; i < n; i++) {
      Map<String, AttributeValue> m = rows.get(i);
      threads[i] = s(m, "threadId", "?") + suffix;
      ids[i] = s(m, "messageId", "?" + i);
      sent[i] = n(m, "sentAt", 0L);
      dirs[i] = s(m, "direction", "?");
      authors[i] = m.get("author") == null ? "{}" : AttributeJson.plainJson(m.get("author"));
      String body = s(m, "body", null);
      bodies[i] = body == null ? null : Buffer.buffer(body.getBytes(StandardCharsets.UTF_8));
      types[i] = s(m, "contentType", null);
      tels[i] = m.get("telephony") == null ? null : AttributeJson.plainJson(m.get("telephony"));
      extras[i] = extra(m, MESSAGE_NAMED);
    }
    return Tuple.of(s(rows.get(0), "accountId", "?"), 1L, 1L, threads, ids, sent, dirs, authors, bodies, types)
        .addValue(tels).addValue(extras);
  }

  static String s(Map<String, AttributeValue> item, String key, String fallback) {
    AttributeValue v = item.get(key);
    // text columns cannot hold U+0000 (the service stores such values its own way)
    return v == null || v.s() == null ? fallback : v.s().replace('\u0000', '\ufffd');
  }

  private static Long n(Map<String, AttributeValue> item, String key, Long fallback) {
    AttributeValue v = item.get(key);
    if (v == null || v.n() == null) return fallback;
    try {
      return Long.parseLong(v.n());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  private static String extra(Map<String, AttributeValue> item, Set<String> named) {
    Map<String, AttributeValue> rest = new LinkedHashMap<>();
    item.forEach((k, v) -> {
      if (!named.contains(k)) rest.put(k, v);
    });
    return rest.isEmpty() ? null : AttributeJson.dynamoJson(rest);
  }
}
