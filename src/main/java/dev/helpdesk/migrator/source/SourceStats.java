package dev.helpdesk.migrator.source;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one {@link DynamoSource}, for the load-test harness and logs.
 * requests: HTTP attempts sent (retries included); throttled: attempts DynamoDB answered with a
 * throttling error; unanswered: attempts that ended without any answer (timed out after
 * DYNAMODB_CALL_TIMEOUT_MS, or the connection broke); failedCalls: queries that failed after all their attempts.
 */
public final class SourceStats {
  private final LongAdder requests = new LongAdder();
  private final LongAdder throttled = new LongAdder();
  private final LongAdder unanswered = new LongAdder();
  private final LongAdder failedCalls = new LongAdder();
  private final LongAdder pages = new LongAdder();
  private final LongAdder items = new LongAdder();

  public LongAdder requests() {
    return requests;
  }

  public LongAdder throttled() {
    return throttled;
  }

  public LongAdder unanswered() {
    return unanswered;
  }

  public LongAdder failedCalls() {
    return failedCalls;
  }

  public LongAdder pages() {
    return pages;
  }

  public LongAdder items() {
    return items;
  }

  @Override
  public String toString() {
    return "requests=" + requests.sum() + " throttled=" + throttled.sum() + " unanswered=" + unanswered.sum()
        + " failedCalls=" + failedCalls.sum() + " pages=" + pages.sum() + " items=" + items.sum();
  }
}
