package dev.helpdesk.migrator.source;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Validates a threads-table item against CONTRACT §1. */
final class ThreadDecoder {
  private static final Set<String> NAMED = Set.of("accountId", "threadId", "channelId", "subject", "status",
      "customer", "createdAt", "lastMessageAt", "messageCount", "tags");

  private ThreadDecoder() {}

  static Decoded<ThreadItem> decode(Map<String, AttributeValue> item) {
    Fields f = new Fields(item);
    String accountId = f.requiredS("accountId");
    String threadId = f.requiredS("threadId");
    String channelId = f.requiredS("channelId");
    String subject = f.optionalS("subject");
    String status = f.optionalS("status");
    Map<String, AttributeValue> customer = f.optionalM("customer");
    long createdAt = f.requiredLong("createdAt");
    long lastMessageAt = f.requiredLong("lastMessageAt");
    Long messageCount = f.optionalLong("messageCount");
    List<String> tags = f.optionalSs("tags");
    if (!f.ok()) {
      return new Decoded.Bad<>("thread", sourceKey(item),
          "thread " + (threadId == null ? "?" : threadId) + ": " + f.problems());
    }
    return new Decoded.Good<>(new ThreadItem(accountId, threadId, channelId, subject, status,
        customer == null ? null : AttributeJson.plainJson(customer), createdAt, lastMessageAt, messageCount,
        tags, f.extraJson(NAMED)));
  }

  private static Map<String, String> sourceKey(Map<String, AttributeValue> item) {
    Map<String, String> key = new HashMap<>(4);
    putS(key, item, "accountId");
    putS(key, item, "threadId");
    return Map.copyOf(key);
  }

  static void putS(Map<String, String> key, Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    if (v != null && v.s() != null) key.put(name, v.s());
  }
}
