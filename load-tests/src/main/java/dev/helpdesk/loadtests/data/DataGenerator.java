package dev.helpdesk.loadtests.data;

import dev.helpdesk.loadtests.data.SeedSummary.AccountSummary;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

/**
 * Seeds the source tables (CONTRACT §1) deterministically: the same profile, seed, account ids,
 * media URL and nowMs always produce the same items and the same {@link SeedSummary}.
 *
 * <p>Items are generated while they are written, one thread's worth at a time, so a whale never
 * sits in memory. The tables must exist ({@link SourceTables#create}).
 */
public final class DataGenerator {
  /** BatchWriteItem calls in flight at once. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 8;

  private DataGenerator() {}

  /**
   * @param mediaBaseUrl base of attachment URLs, e.g. {@code ConversationsSimulator.mediaBaseUrl()}
   * @param nowMs "now" of the data: thread times spread over the 120 days before it
   */
  public static CompletableFuture<SeedSummary> seed(DynamoDbAsyncClient dynamo, SourceTables tables, Profile profile,
                                                    long seed, List<String> accountIds, String mediaBaseUrl, long nowMs) {
    return seed(dynamo, tables, profile, seed, accountIds, mediaBaseUrl, nowMs, DEFAULT_MAX_IN_FLIGHT);
  }

  public static CompletableFuture<SeedSummary> seed(DynamoDbAsyncClient dynamo, SourceTables tables, Profile profile,
                                                    long seed, List<String> accountIds, String mediaBaseUrl, long nowMs,
                                                    int maxInFlight) {
    // a repeated id would put the same key twice into one batch, which DynamoDB rejects
    List<String> ids = List.copyOf(new LinkedHashSet<>(accountIds));
    Map<String, AccountTally> tallies = new LinkedHashMap<>();
    ids.forEach(id -> tallies.put(id, new AccountTally(id)));
    // the stream is lazy: an account's generator is built when the writer reaches it
    Iterator<WriteItem> items = new Concat(ids.stream()
        .map(id -> (Iterator<WriteItem>) new AccountGenerator(profile, seed, id, mediaBaseUrl, nowMs, tables, tallies.get(id)))
        .iterator());
    return new BatchWriter(dynamo, items, maxInFlight).run().thenApply(written -> {
      Map<String, AccountSummary> accounts = new LinkedHashMap<>();
      tallies.forEach((id, t) -> accounts.put(id, t.toSummary()));
      return new SeedSummary(profile.name(), seed, nowMs, Collections.unmodifiableMap(accounts));
    });
  }

  private static final class Concat implements Iterator<WriteItem> {
    private final Iterator<Iterator<WriteItem>> parts;
    private Iterator<WriteItem> current = Collections.emptyIterator();

    Concat(Iterator<Iterator<WriteItem>> parts) {
      this.parts = parts;
    }

    @Override
    public boolean hasNext() {
      while (!current.hasNext() && parts.hasNext()) current = parts.next();
      return current.hasNext();
    }

    @Override
    public WriteItem next() {
      if (!hasNext()) throw new NoSuchElementException();
      return current.next();
    }
  }
}
