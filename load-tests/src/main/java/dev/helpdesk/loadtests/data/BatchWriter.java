package dev.helpdesk.loadtests.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Drains an item iterator into BatchWriteItem calls of 25 with a bounded number in flight: items
 * are pulled only when a slot frees up, so memory stays flat however many items there are.
 */
final class BatchWriter {
  private static final int BATCH = 25;
  private static final int MAX_UNPROCESSED_RETRIES = 12;

  private final DynamoDbAsyncClient dynamo;
  private final Iterator<WriteItem> items;
  private final int maxInFlight;
  private final CompletableFuture<Long> done = new CompletableFuture<>();
  private int inFlight;
  private long written;
  private boolean exhausted;

  BatchWriter(DynamoDbAsyncClient dynamo, Iterator<WriteItem> items, int maxInFlight) {
    this.dynamo = dynamo;
    this.items = items;
    this.maxInFlight = maxInFlight;
  }

  /** Completes with the number of items written, or with the first failure. */
  CompletableFuture<Long> run() {
    pump();
    return done;
  }

  private synchronized void pump() {
    try {
      while (!done.isDone() && inFlight < maxInFlight) {
        List<WriteItem> batch = nextBatch();
        if (batch.isEmpty()) break;
        inFlight++;
        send(group(batch), 0).whenComplete((v, err) -> finished(batch.size(), err));
      }
      if (exhausted && inFlight == 0) done.complete(written);
    } catch (RuntimeException e) {
      done.completeExceptionally(e);
    }
  }

  private synchronized void finished(int size, Throwable err) {
    inFlight--;
    if (err != null) {
      done.completeExceptionally(err);
      return;
    }
    written += size;
    pump();
  }

  private List<WriteItem> nextBatch() {
    List<WriteItem> batch = new ArrayList<>(BATCH);
    while (batch.size() < BATCH && items.hasNext()) batch.add(items.next());
    if (!items.hasNext()) exhausted = true;
    return batch;
  }

  private static Map<String, List<WriteRequest>> group(List<WriteItem> batch) {
    Map<String, List<WriteRequest>> byTable = new LinkedHashMap<>();
    for (WriteItem w : batch) {
      byTable.computeIfAbsent(w.table(), t -> new ArrayList<>())
          .add(WriteRequest.builder().putRequest(PutRequest.builder().item(w.item()).build()).build());
    }
    return byTable;
  }

  private CompletableFuture<Void> send(Map<String, List<WriteRequest>> request, int attempt) {
    return dynamo.batchWriteItem(b -> b.requestItems(request)).thenCompose(resp -> {
      Map<String, List<WriteRequest>> unprocessed = resp.unprocessedItems();
      if (unprocessed == null || unprocessed.isEmpty()) return CompletableFuture.completedFuture(null);
      if (attempt >= MAX_UNPROCESSED_RETRIES) {
        return CompletableFuture.failedFuture(new IllegalStateException(
            "BatchWriteItem still returned unprocessed items after " + attempt + " retries"));
      }
      long backoff = Math.min(2_000, 25L << attempt) + ThreadLocalRandom.current().nextLong(25);
      return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(backoff, TimeUnit.MILLISECONDS))
          .thenCompose(x -> send(unprocessed, attempt + 1));
    });
  }
}
