package dev.helpdesk.loadtests.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * An account's source items read back from DynamoDB, raw, for equality checks in tests: threads
 * from a Query of the table itself (the index misses threads without lastMessageAt) and every
 * message of each of them.
 *
 * @param threads in threadId order
 * @param messagesByThread threadId to its messages in messageId order, in the order of {@code threads}
 */
public record SourceSnapshot(String accountId, List<Map<String, AttributeValue>> threads,
                             Map<String, List<Map<String, AttributeValue>>> messagesByThread) {
  private static final int PARALLEL_THREAD_QUERIES = 8;

  public static CompletableFuture<SourceSnapshot> read(DynamoDbAsyncClient dynamo, SourceTables tables, String accountId) {
    return Queries.all(dynamo, Queries.byKey(tables.threadsTable(), "accountId", accountId))
        .thenCompose(threads -> readMessages(dynamo, tables, threads, 0, new LinkedHashMap<>())
            .thenApply(messages -> new SourceSnapshot(accountId, Collections.unmodifiableList(threads),
                Collections.unmodifiableMap(messages))));
  }

  public int threadCount() {
    return threads.size();
  }

  public long messageCount() {
    return messagesByThread.values().stream().mapToLong(List::size).sum();
  }

  /** Attachment entries across all messages (each entry of every {@code attachments} list). */
  public long attachmentCount() {
    return messagesByThread.values().stream().flatMap(List::stream)
        .map(m -> m.get("attachments"))
        .filter(a -> a != null && a.hasL())
        .mapToLong(a -> a.l().size())
        .sum();
  }

  public List<Map<String, AttributeValue>> messages(String threadId) {
    return messagesByThread.getOrDefault(threadId, List.of());
  }

  // Threads are read in slices of a few parallel queries; a whale has 20,000 of them.
  private static CompletableFuture<Map<String, List<Map<String, AttributeValue>>>> readMessages(
      DynamoDbAsyncClient dynamo, SourceTables tables, List<Map<String, AttributeValue>> threads, int from,
      Map<String, List<Map<String, AttributeValue>>> acc) {
    if (from >= threads.size()) return CompletableFuture.completedFuture(acc);
    int to = Math.min(threads.size(), from + PARALLEL_THREAD_QUERIES);
    List<String> ids = new ArrayList<>();
    List<CompletableFuture<List<Map<String, AttributeValue>>>> slice = new ArrayList<>();
    for (Map<String, AttributeValue> t : threads.subList(from, to)) {
      String id = t.get("threadId").s();
      ids.add(id);
      slice.add(Queries.all(dynamo, Queries.byKey(tables.messagesTable(), "threadId", id)));
    }
    return CompletableFuture.allOf(slice.toArray(CompletableFuture[]::new)).thenCompose(v -> {
      for (int i = 0; i < ids.size(); i++) acc.put(ids.get(i), Collections.unmodifiableList(slice.get(i).join()));
      return readMessages(dynamo, tables, threads, to, acc);
    });
  }
}
