package dev.helpdesk.migrator.source;

import dev.helpdesk.migrator.config.Settings;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Scheduler;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.rxjava3.RxHelper;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * Reads Conversations' DynamoDB tables (CONTRACT §1). One per Vert.x instance, shared by all
 * accounts: its single client caps the DynamoDB requests in flight at {@code maxInFlight}.
 *
 * <p>Every method returns a cold Flowable of pages driven by downstream demand: the SDK paginator
 * asks for the next page only when one is requested, and at most two fetched pages wait on the
 * caller's Vert.x context, where they are delivered. A page that was requested but does not come
 * fails the flow with a TimeoutException. With a {@link ReadRateLimiter}, every Query of every flow
 * first waits for a token; that wait does not count towards the time-out.
 */
public final class DynamoSource implements AutoCloseable {
  /** Pages fetched ahead of the consumer: one being handled, one ready. */
  private static final int PREFETCH = 2;
  /**
   * Thread pages are kept small: a thread phase's checkpoint lists the finished threads of its
   * current page, and a 1 MB page holds thousands of threads, so every batch rewrote a checkpoint
   * of ~100 KB. One more Query per 100 threads costs far less than that.
   */
  static final int THREAD_PAGE_ITEMS = 100;

  private final Settings.Dynamo settings;
  private final Integer pageLimit;
  private final SourceStats stats = new SourceStats();
  private final DynamoDbAsyncClient client;
  private final long stallTimeoutMs;
  private final ReadRateLimiter limiter;

  public DynamoSource(Vertx vertx, Settings.Dynamo settings) {
    this(vertx, settings, null, null);
  }

  public DynamoSource(Vertx vertx, Settings.Dynamo settings, Integer pageLimit) {
    this(vertx, settings, pageLimit, null);
  }

  /**
   * @param pageLimit Limit of every Query (small values exercise paging in tests); null for DynamoDB's 1 MB pages
   * @param limiter   holds back every Query until it has a token, for all flows of this source; null for
   *                  no limit (then nothing is added to the flows)
   */
  public DynamoSource(Vertx vertx, Settings.Dynamo settings, Integer pageLimit, ReadRateLimiter limiter) {
    Objects.requireNonNull(vertx, "vertx");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.pageLimit = pageLimit;
    this.limiter = limiter;
    this.client = DynamoClientFactory.create(settings, new AttemptCounter(stats));
    // the SDK's own call time-out fires first, with the better error; this only catches what it misses
    this.stallTimeoutMs = DynamoClientFactory.callTimeoutMs(settings) + settings.callTimeoutMs();
  }

  /** Threads whose lastMessageAt is at or after the cutoff, newest first (the GSI). */
  public Flowable<Page> recentThreads(Context ctx, String accountId, long cutoffMs,
                                      Map<String, AttributeValue> exclusiveStartKey) {
    QueryRequest.Builder q = QueryRequest.builder()
        .tableName(settings.threadsTable())
        .indexName(settings.threadsIndex())
        .keyConditionExpression("#a = :a AND #l >= :c")
        .expressionAttributeNames(Map.of("#a", "accountId", "#l", "lastMessageAt"))
        .expressionAttributeValues(Map.of(":a", AttributeValue.fromS(accountId),
            ":c", AttributeValue.fromN(Long.toString(cutoffMs))))
        .scanIndexForward(false);
    return pages(ctx, q.limit(THREAD_PAGE_ITEMS), exclusiveStartKey);
  }

  /** Every thread of the account, in threadId order: the table sees threads lacking lastMessageAt. */
  public Flowable<Page> allThreads(Context ctx, String accountId, Map<String, AttributeValue> exclusiveStartKey) {
    QueryRequest.Builder q = QueryRequest.builder()
        .tableName(settings.threadsTable())
        .keyConditionExpression("#a = :a")
        .expressionAttributeNames(Map.of("#a", "accountId"))
        .expressionAttributeValues(Map.of(":a", AttributeValue.fromS(accountId)));
    return pages(ctx, q.limit(THREAD_PAGE_ITEMS), exclusiveStartKey);
  }

  /** The thread's messages in messageId (time) order. */
  public Flowable<Page> messages(Context ctx, String threadId, Map<String, AttributeValue> exclusiveStartKey) {
    return messages(ctx, threadId, exclusiveStartKey, page -> page, null);
  }

  /**
   * The same, each page turned by {@code decode} on the thread the SDK completes it on, before it reaches
   * {@code ctx}: decoding the bulk of the items (a 1 MB page of messages) then runs in parallel on the SDK's
   * threads instead of one after another on the run's context; {@code decode} runs once per page and must be
   * safe on any thread. Each page request is first admitted by {@code admission} (null: none), then may still
   * wait for the rate limiter's token: a request held back by the caller takes no token.
   */
  public <T> Flowable<T> messages(Context ctx, String threadId, Map<String, AttributeValue> exclusiveStartKey,
                                  Function<Page, T> decode, RequestGate.Admission admission) {
    QueryRequest.Builder q = QueryRequest.builder()
        .tableName(settings.messagesTable())
        .keyConditionExpression("#t = :t")
        .expressionAttributeNames(Map.of("#t", "threadId"))
        .expressionAttributeValues(Map.of(":t", AttributeValue.fromS(threadId)))
        .scanIndexForward(true);
    return pages(ctx, q, exclusiveStartKey, decode, admission);
  }

  /** The thread item with this key, if any: one Query on the table's full key (at most one item, one page). */
  public Flowable<Page> thread(Context ctx, String accountId, String threadId) {
    QueryRequest.Builder q = QueryRequest.builder()
        .tableName(settings.threadsTable())
        .keyConditionExpression("#a = :a AND #t = :t")
        .expressionAttributeNames(Map.of("#a", "accountId", "#t", "threadId"))
        .expressionAttributeValues(Map.of(":a", AttributeValue.fromS(accountId), ":t", AttributeValue.fromS(threadId)));
    return pages(ctx, q, null);
  }

  /** The message item with this key, if any: one Query on the table's full key (at most one item, one page). */
  public Flowable<Page> message(Context ctx, String threadId, String messageId) {
    QueryRequest.Builder q = QueryRequest.builder()
        .tableName(settings.messagesTable())
        .keyConditionExpression("#t = :t AND #m = :m")
        .expressionAttributeNames(Map.of("#t", "threadId", "#m", "messageId"))
        .expressionAttributeValues(Map.of(":t", AttributeValue.fromS(threadId), ":m", AttributeValue.fromS(messageId)));
    return pages(ctx, q, null);
  }

  public SourceStats stats() {
    return stats;
  }

  /**
   * The SDK's first request loads and initialises a great deal (endpoint rules, marshallers,
   * signers): seconds on a cold JVM. A paginator runs a request's first steps on the thread that
   * asks for the page, which is an event loop, so one throwaway query is made here on a worker
   * thread before any job reads. Best effort, bounded by the call time-out: an unreachable
   * DynamoDB must not stop the service from starting.
   */
  public Future<Void> warmUp(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      QueryRequest probe = QueryRequest.builder().tableName(settings.threadsTable())
          .keyConditionExpression("accountId = :a")
          .expressionAttributeValues(Map.of(":a", AttributeValue.fromS("migrator-warm-up")))
          .limit(1).build();
      try {
        client.query(probe).get(settings.callTimeoutMs(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LoggerFactory.getLogger(DynamoSource.class).warn("DynamoDB warm-up query failed ({}); the first reads will pay for it",
            e instanceof java.util.concurrent.ExecutionException ? e.getCause().toString() : e.toString());
      }
      return null;
    }, false);
  }

  /** Health: one Query of at most one item for a non-existent account, bounded by the call time-out. */
  public Future<Void> probe(Vertx vertx) {
    QueryRequest probe = QueryRequest.builder().tableName(settings.threadsTable())
        .keyConditionExpression("accountId = :a")
        .expressionAttributeValues(Map.of(":a", AttributeValue.fromS("migrator-health-probe")))
        .limit(1).build();
    return Future.fromCompletionStage(client.query(probe), vertx.getOrCreateContext())
        .timeout(settings.callTimeoutMs(), TimeUnit.MILLISECONDS).mapEmpty();
  }

  @Override
  public void close() {
    client.close();
  }

  /** A start key as compact DynamoDB-JSON, for checkpoints; null for null or empty. */
  public static String encodeKey(Map<String, AttributeValue> key) {
    return key == null || key.isEmpty() ? null : AttributeJson.dynamoJson(key);
  }

  /** The inverse of {@link #encodeKey}; null for null or blank. */
  public static Map<String, AttributeValue> decodeKey(String text) {
    return text == null || text.isBlank() ? null : AttributeJson.parseDynamoMap(text);
  }

  private Flowable<Page> pages(Context ctx, QueryRequest.Builder q, Map<String, AttributeValue> exclusiveStartKey) {
    return pages(ctx, q, exclusiveStartKey, page -> page, null);
  }

  private <T> Flowable<T> pages(Context ctx, QueryRequest.Builder q, Map<String, AttributeValue> exclusiveStartKey,
                                Function<Page, T> decode, RequestGate.Admission admission) {
    Objects.requireNonNull(ctx, "ctx");
    if (pageLimit != null) {
      Integer given = q.build().limit();
      q.limit(given == null ? pageLimit : Math.min(given, pageLimit));
    }
    if (exclusiveStartKey != null && !exclusiveStartKey.isEmpty()) q.exclusiveStartKey(exclusiveStartKey);
    QueryRequest request = q.build();
    Scheduler scheduler = RxHelper.scheduler(ctx);
    String what = request.indexName() == null ? request.tableName() : request.tableName() + "/" + request.indexName();
    Flowable<QueryResponse> guarded = Flowable.fromPublisher(client.queryPaginator(request))
        .compose(new StallGuard<>(scheduler, stallTimeoutMs, what));
    // the limiter sits above the guard: a request waiting for a token is not yet owed by DynamoDB
    Flowable<QueryResponse> limited = limiter == null ? guarded : Flowable.fromPublisher(limiter.limit(guarded));
    Flowable<QueryResponse> admitted = admission == null ? limited
        : Flowable.fromPublisher(RequestGate.gate(limited, admission));
    return admitted
        .map(this::page)
        .map(decode::apply)
        .onErrorResumeNext(e -> Flowable.error(unwrap(e)))
        // delayError: pages already fetched are still handled (and checkpointed) before the error
        .observeOn(scheduler, true, PREFETCH);
  }

  private Page page(QueryResponse r) {
    List<Map<String, AttributeValue>> items = r.items();
    stats.pages().increment();
    stats.items().add(items.size());
    Map<String, AttributeValue> next = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
        ? r.lastEvaluatedKey() : null;
    return new Page(items, next);
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) e = e.getCause();
    return e;
  }
}
