package dev.helpdesk.migrator.source;

import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The outcome of validating one source item: the typed value, or a bad record with its reason. */
public sealed interface Decoded<T> {

  record Good<T>(T value) implements Decoded<T> {}

  /**
   * @param kind "thread" or "message"
   * @param sourceKey {accountId, threadId} for a thread, {threadId, messageId} for a message (the
   *     attributes present as strings)
   */
  record Bad<T>(String kind, Map<String, String> sourceKey, String reason) implements Decoded<T> {}

  static Decoded<ThreadItem> thread(Map<String, AttributeValue> item) {
    return ThreadDecoder.decode(item);
  }

  static Decoded<MessageItem> message(Map<String, AttributeValue> item) {
    return MessageDecoder.decode(item);
  }
}
