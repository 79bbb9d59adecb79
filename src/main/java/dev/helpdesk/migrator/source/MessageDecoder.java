package dev.helpdesk.migrator.source;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Validates a messages-table item against CONTRACT §1; bad attachment entries leave the message good. */
final class MessageDecoder {
  private static final Set<String> NAMED = Set.of("threadId", "messageId", "accountId", "sentAt", "direction",
      "author", "body", "contentType", "attachments", "telephony");

  private MessageDecoder() {}

  static Decoded<MessageItem> decode(Map<String, AttributeValue> item) {
    Fields f = new Fields(item);
    String threadId = f.requiredS("threadId");
    String messageId = f.requiredS("messageId");
    String accountId = f.requiredS("accountId");
    long sentAt = f.requiredLong("sentAt");
    String direction = f.requiredS("direction");
    Map<String, AttributeValue> author = f.requiredM("author");
    String body = f.optionalS("body");
    String contentType = f.optionalS("contentType");
    Map<String, AttributeValue> telephony = f.optionalM("telephony");
    if (!f.ok()) {
      return new Decoded.Bad<>("message", sourceKey(item),
          "message " + (threadId == null ? "?" : threadId) + "/" + (messageId == null ? "?" : messageId) + ": "
              + f.problems());
    }
    Attachments a = attachments(item.get("attachments"));
    return new Decoded.Good<>(new MessageItem(threadId, messageId, accountId, sentAt, direction,
        AttributeJson.plainJson(author), body, contentType, a.good, telephony == null ? null
        : AttributeJson.plainJson(telephony), f.extraJson(NAMED), a.bad));
  }

  private record Attachments(List<AttachmentRef> good, List<BadAttachment> bad) {}

  private static final Attachments NONE = new Attachments(List.of(), List.of());

  private static Attachments attachments(AttributeValue list) {
    if (list == null || Fields.isNull(list)) return NONE;
    if (list.type() != AttributeValue.Type.L) {
      return new Attachments(List.of(), List.of(new BadAttachment(-1, null,
          "attachments must be L, got " + Fields.typeName(list), AttributeJson.dynamoJson(list))));
    }
    List<AttributeValue> entries = list.l();
    if (entries.isEmpty()) return NONE;
    List<AttachmentRef> good = new ArrayList<>(entries.size());
    List<BadAttachment> bad = null;
    for (int i = 0; i < entries.size(); i++) {
      AttributeValue entry = entries.get(i);
      BadAttachment problem = null;
      if (entry.type() != AttributeValue.Type.M) {
        problem = new BadAttachment(i, null, "attachment #" + i + " must be M, got " + Fields.typeName(entry),
            AttributeJson.dynamoJson(entry));
      } else {
        Fields ef = new Fields(entry.m());
        String id = ef.requiredS("attachmentId");
        String url = ef.requiredS("url");
        String fileName = ef.optionalS("fileName");
        String contentType = ef.optionalS("contentType");
        Long size = ef.optionalLong("size");
        if (ef.ok()) {
          good.add(new AttachmentRef(id, url, fileName, contentType, size));
        } else {
          problem = new BadAttachment(i, id, "attachment " + (id == null ? "#" + i : id) + ": " + ef.problems(),
              AttributeJson.dynamoJson(entry));
        }
      }
      if (problem != null) {
        if (bad == null) bad = new ArrayList<>(2);
        bad.add(problem);
      }
    }
    return new Attachments(good, bad == null ? List.of() : bad);
  }

  private static Map<String, String> sourceKey(Map<String, AttributeValue> item) {
    Map<String, String> key = new HashMap<>(4);
    ThreadDecoder.putS(key, item, "threadId");
    ThreadDecoder.putS(key, item, "messageId");
    return Map.copyOf(key);
  }
}
