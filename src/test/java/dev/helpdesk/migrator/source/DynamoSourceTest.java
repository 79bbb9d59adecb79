package dev.helpdesk.migrator.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SeedSummary.AccountSummary;
import dev.helpdesk.loadtests.data.SeedSummary.BadRecord;
import dev.helpdesk.loadtests.data.SeedSummary.ThreadOutcome;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.support.Dynalite;
import dev.helpdesk.migrator.config.Settings;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Single;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.rxjava3.RxHelper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;

/** DynamoSource against a real dynalite seeded by the load-test generator (DIRTY profile). */
@ExtendWith(VertxExtension.class)
class DynamoSourceTest {
  private static final String ACCOUNT = "acc-src-dirty";
  private static final long DAY = 86_400_000L;
  private static final long NOW = 1_760_000_000_000L;
  private static final long CUTOFF = NOW - 30 * DAY;
  private static final String UNICODE_THREAD = "x-unicode-thread";

  private static Vertx vertx;
  private static Dynalite dynalite;
  private static SourceTables tables;
  private static AccountSummary account;
  private static DynamoSource source;
  private static Map<String, AttributeValue> unicodeExtras;

  @BeforeAll
  static void seed(Vertx v) throws Exception {
    vertx = v;
    dynalite = Dynalite.start();
    tables = SourceTables.withSuffix("-src");
    tables.create(dynalite.client()).get(60, TimeUnit.SECONDS);
    SeedSummary summary = DataGenerator.seed(dynalite.client(), tables, Profile.DIRTY, 42L, List.of(ACCOUNT),
        "http://127.0.0.1:1", NOW).get(120, TimeUnit.SECONDS);
    account = summary.account(ACCOUNT);
    unicodeExtras = putUnicodeMessage();
    source = new DynamoSource(vertx, settings(dynalite.endpoint(), "netty", 16, 5000, 4));
  }

  @AfterAll
  static void stop() {
    if (source != null) source.close();
    if (dynalite != null) dynalite.close();
  }

  static Settings.Dynamo settings(String endpoint, String httpClient, int maxInFlight, long callTimeoutMs,
                                  int maxAttempts) {
    return new Settings.Dynamo(endpoint, "us-east-1", tables.threadsTable(), tables.messagesTable(),
        tables.threadsIndex(), httpClient, maxInFlight, callTimeoutMs, maxAttempts, 0);
  }

  // ---- reading

  @Test
  void tableAndIndexTogetherSeeEveryThreadExactlyOnce() {
    Context ctx = vertx.getOrCreateContext();
    List<String> all = ids(items(source.allThreads(ctx, ACCOUNT, null)), "threadId");
    List<Map<String, AttributeValue>> recentItems = items(source.recentThreads(ctx, ACCOUNT, CUTOFF, null));
    List<String> recent = ids(recentItems, "threadId");
    List<String> indexed = ids(items(source.recentThreads(ctx, ACCOUNT, 0, null)), "threadId");

    assertEquals(account.threadsWritten(), all.size());
    assertEquals(all.size(), new HashSet<>(all).size(), "no thread twice");
    String noLastMessageAt = plantedThread("missingLastMessageAt");
    Set<String> expectedRecent = account.threads().stream()
        .filter(t -> t.lastMessageAt() >= CUTOFF && !t.threadId().equals(noLastMessageAt))
        .map(ThreadOutcome::threadId).collect(Collectors.toSet());
    assertEquals(expectedRecent, new HashSet<>(recent));
    assertTrue(recent.size() > 5 && recent.size() < all.size() - 5, "the cutoff splits the account: " + recent.size());

    List<String> older = indexed.stream().filter(id -> !recent.contains(id)).toList();
    assertEquals(all.size(), recent.size() + older.size() + 1, "recent + older + the one without lastMessageAt");
    assertTrue(all.contains(noLastMessageAt));
    assertFalse(indexed.contains(noLastMessageAt), "a thread without lastMessageAt is not in the index");

    long previous = Long.MAX_VALUE;
    for (Map<String, AttributeValue> t : recentItems) {
      long at = Long.parseLong(t.get("lastMessageAt").n());
      assertTrue(at <= previous, "newest first");
      previous = at;
    }
  }

  @Test
  void everyMessageComesBackOnceInOrder() {
    Context ctx = vertx.getOrCreateContext();
    long total = 0;
    for (ThreadOutcome t : account.threads()) {
      List<String> ids = ids(items(source.messages(ctx, t.threadId(), null)), "messageId");
      assertEquals(t.messagesWritten(), ids.size(), t.threadId());
      assertEquals(ids.stream().sorted().toList(), ids, "ascending messageId");
      total += ids.size();
    }
    assertEquals(account.messagesWritten(), total);
  }

  @Test
  void pageLimitOneStillGivesExactCounts() {
    Context ctx = vertx.getOrCreateContext();
    try (DynamoSource one = new DynamoSource(vertx, settings(dynalite.endpoint(), "netty", 8, 5000, 4), 1)) {
      List<Page> threadPages = pages(one.allThreads(ctx, ACCOUNT, null));
      assertTrue(threadPages.stream().allMatch(p -> p.items().size() <= 1));
      assertEquals(account.threadsWritten(), threadPages.stream().mapToInt(p -> p.items().size()).sum());
      assertEquals(new HashSet<>(ids(items(source.recentThreads(ctx, ACCOUNT, CUTOFF, null)), "threadId")),
          new HashSet<>(ids(items(one.recentThreads(ctx, ACCOUNT, CUTOFF, null)), "threadId")));
      long total = Flowable.fromIterable(account.threads())
          .concatMapSingle(t -> one.messages(ctx, t.threadId(), null).map(p -> (long) p.items().size())
              .reduce(0L, Long::sum))
          .reduce(0L, Long::sum).timeout(120, TimeUnit.SECONDS).blockingGet();
      assertEquals(account.messagesWritten(), total);
      assertTrue(one.stats().pages().sum() >= account.threadsWritten() + account.messagesWritten());
    }
  }

  @Test
  void exclusiveStartKeysResumeExactlyAfterTheirPage() {
    Context ctx = vertx.getOrCreateContext();
    String longest = account.threads().stream().filter(ThreadOutcome::good)
        .max((a, b) -> Integer.compare(a.messagesWritten(), b.messagesWritten())).orElseThrow().threadId();
    try (DynamoSource seven = new DynamoSource(vertx, settings(dynalite.endpoint(), "netty", 8, 5000, 4), 7)) {
      checkResume(key -> seven.allThreads(ctx, ACCOUNT, key), "threadId");
      checkResume(key -> seven.recentThreads(ctx, ACCOUNT, 0, key), "threadId");
      checkResume(key -> seven.messages(ctx, longest, key), "messageId");
    }
  }

  private static void checkResume(Function<Map<String, AttributeValue>, Flowable<Page>> flow, String idName) {
    List<Page> pages = pages(flow.apply(null));
    List<String> full = pages.stream().flatMap(p -> p.items().stream()).map(i -> i.get(idName).s()).toList();
    assertTrue(pages.size() >= 3, "enough pages to resume in the middle");
    int offset = 0;
    for (int k = 0; k < pages.size(); k++) {
      Page page = pages.get(k);
      offset += page.items().size();
      if (page.isLast()) {
        assertEquals(pages.size() - 1, k, "only the final page is last");
        break;
      }
      String checkpoint = DynamoSource.encodeKey(page.lastEvaluatedKey());
      Map<String, AttributeValue> key = DynamoSource.decodeKey(checkpoint);
      assertEquals(page.lastEvaluatedKey(), key, checkpoint);
      List<String> resumed = ids(items(flow.apply(key)), idName);
      assertEquals(full.subList(offset, full.size()), resumed, "resumed after page " + k);
    }
  }

  @Test
  void pagesArriveOnTheCallersContext() {
    Context ctx = vertx.getOrCreateContext();
    List<Boolean> onContext = new ArrayList<>();
    List<Page> pages = source.allThreads(ctx, ACCOUNT, null)
        .concatWith(source.messages(ctx, account.threads().get(0).threadId(), null))
        .doOnNext(p -> onContext.add(Vertx.currentContext() == ctx && Context.isOnEventLoopThread()))
        .toList().timeout(30, TimeUnit.SECONDS).blockingGet();
    assertEquals(pages.size(), onContext.size());
    assertTrue(onContext.stream().allMatch(b -> b), onContext.toString());
  }

  @Test
  void aSlowConsumerIsNotTimedOutWhileItHoldsNoDemand() {
    Context ctx = vertx.getOrCreateContext();
    // stall guard here: 1 s per attempt, one attempt, plus 1 s; the consumer takes 2.5 s a page.
    // (Seconds, not milliseconds: a loaded CI machine must not make the SDK call itself time out.)
    try (DynamoSource quick = new DynamoSource(vertx, settings(dynalite.endpoint(), "netty", 4, 1000, 1), 20)) {
      long items = quick.allThreads(ctx, ACCOUNT, null)
          .concatMapSingle(p -> Single.timer(2500, TimeUnit.MILLISECONDS, RxHelper.scheduler(ctx))
              .map(x -> (long) p.items().size()))
          .reduce(0L, Long::sum).timeout(30, TimeUnit.SECONDS).blockingGet();
      assertEquals(account.threadsWritten(), items);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"netty", "crt"})
  void maxInFlightCapsConcurrentRequests(String httpClient) throws Exception {
    Context ctx = vertx.getOrCreateContext();
    try (FaultProxy proxy = FaultProxy.start(vertx, dynalite.port());
         DynamoSource capped = new DynamoSource(vertx, settings(proxy.endpoint(), httpClient, 2, 5000, 4), 5)) {
      proxy.latencyMs = 30;
      long total = Flowable.fromIterable(account.threads().subList(20, 32))
          .flatMapSingle(t -> capped.messages(ctx, t.threadId(), null).map(p -> (long) p.items().size())
              .reduce(0L, Long::sum), false, 12)
          .reduce(0L, Long::sum).timeout(60, TimeUnit.SECONDS).blockingGet();
      long expected = account.threads().subList(20, 32).stream().mapToLong(ThreadOutcome::messagesWritten).sum();
      assertEquals(expected, total);
      assertEquals(2, proxy.maxInFlight.get(), "12 flows at once, never more than maxInFlight requests");
      assertEquals(capped.stats().requests().sum(), proxy.received.get());
    }
  }

  // ---- retries and time-outs

  @Test
  void throttlingAndServerErrorsAreRetriedWithBackOff() throws Exception {
    Context ctx = vertx.getOrCreateContext();
    try (FaultProxy proxy = FaultProxy.start(vertx, dynalite.port());
         DynamoSource retrying = new DynamoSource(vertx, settings(proxy.endpoint(), "netty", 4, 5000, 4))) {
      proxy.next.addAll(List.of(Fault.PROVISIONED_THROUGHPUT, Fault.SERVER_ERROR, Fault.THROTTLING));
      assertEquals(account.threadsWritten(), items(retrying.allThreads(ctx, ACCOUNT, null)).size());
      assertEquals(4, retrying.stats().requests().sum());

      proxy.next.add(Fault.REQUEST_LIMIT);
      assertEquals(account.threadsWritten(), items(retrying.allThreads(ctx, ACCOUNT, null)).size());
      assertEquals(6, retrying.stats().requests().sum());
      awaitCount(retrying.stats().throttled(), 3);
      assertEquals(0, retrying.stats().failedCalls().sum());

      proxy.next.addAll(List.of(Fault.PROVISIONED_THROUGHPUT, Fault.PROVISIONED_THROUGHPUT,
          Fault.PROVISIONED_THROUGHPUT, Fault.PROVISIONED_THROUGHPUT));
      assertInstanceOf(ProvisionedThroughputExceededException.class, failure(retrying.allThreads(ctx, ACCOUNT, null)));
      assertEquals(10, retrying.stats().requests().sum(), "maxAttempts = 4 attempts, then the error");
      awaitCount(retrying.stats().throttled(), 7);
      assertEquals(1, retrying.stats().failedCalls().sum());
    }
  }

  @Test
  void aStalledEndpointFailsTheFlowInsteadOfHanging() throws Exception {
    Context ctx = vertx.getOrCreateContext();
    try (FaultProxy proxy = FaultProxy.start(vertx, dynalite.port());
         // whole seconds: sub-second SDK time-outs misfire on a loaded CI machine
         DynamoSource stalled = new DynamoSource(vertx, settings(proxy.endpoint(), "netty", 4, 1000, 2))) {
      // a first call warms the client: on a loaded CI machine a cold one's connection and class loading
      // alone can outlast a 1 s attempt, which then never reaches the proxy
      assertFalse(items(stalled.allThreads(ctx, ACCOUNT, null)).isEmpty());
      proxy.received.set(0);
      proxy.stallAll = true;
      long start = System.nanoTime();
      Throwable e = failure(stalled.allThreads(ctx, ACCOUNT, null));
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertNotNull(e, "the flow must fail");
      assertTrue(e instanceof SdkClientException || e instanceof TimeoutException, e.toString());
      assertTrue(ms < 8_000, "failed after " + ms + " ms");
      assertEquals(2, proxy.received.get(), "both attempts were sent");
    }
  }

  @Test
  void theStallGuardFailsOnlyWhileAPageIsOwed() throws InterruptedException {
    Context ctx = vertx.getOrCreateContext();
    StallGuard<Integer> guard = new StallGuard<>(RxHelper.scheduler(ctx), 200, "test");
    long start = System.nanoTime();
    Throwable e = Flowable.<Integer>never().compose(guard).ignoreElements().<Object>materialize()
        .timeout(10, TimeUnit.SECONDS).blockingGet().getError();
    assertInstanceOf(TimeoutException.class, e);
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) >= 190);

    // one item asked for and delivered, then no demand for longer than the time-out: no failure
    io.reactivex.rxjava3.subscribers.TestSubscriber<Integer> sub = Flowable.just(1).concatWith(Flowable.never())
        .compose(guard).test(1);
    sub.awaitCount(1);
    Thread.sleep(600); // not awaitDone: on its own time-out it cancels the subscription
    sub.assertValues(1).assertNoErrors().assertNotComplete();
    sub.request(1);
    sub.awaitDone(5, TimeUnit.SECONDS);
    sub.assertError(TimeoutException.class);
  }

  // ---- decoding

  @Test
  void decodingFindsExactlyThePlantedBadRecords() {
    Context ctx = vertx.getOrCreateContext();
    List<Map<String, AttributeValue>> threads = items(source.allThreads(ctx, ACCOUNT, null));
    Set<Map<String, String>> badThreads = new HashSet<>();
    Map<String, String> threadReasons = new LinkedHashMap<>();
    List<ThreadItem> goodThreads = new ArrayList<>();
    for (Map<String, AttributeValue> t : threads) {
      Decoded<ThreadItem> d = Decoded.thread(t);
      if (d instanceof Decoded.Good<ThreadItem> g) {
        goodThreads.add(g.value());
      } else if (d instanceof Decoded.Bad<ThreadItem> b) {
        assertEquals("thread", b.kind());
        badThreads.add(b.sourceKey());
        threadReasons.put(b.sourceKey().get("threadId"), b.reason());
      }
    }
    assertEquals(keys(account.badRecords("thread")), badThreads);
    assertEquals(account.goodThreads(), goodThreads.size());
    String createdAtString = plantedThread("createdAtString");
    assertEquals("thread " + createdAtString + ": createdAt must be N, got S", threadReasons.get(createdAtString));
    String noChannel = plantedThread("missingChannelId");
    assertEquals("thread " + noChannel + ": missing channelId", threadReasons.get(noChannel));

    Set<String> goodThreadIds = goodThreads.stream().map(ThreadItem::threadId).collect(Collectors.toSet());
    Set<Map<String, String>> badMessages = new HashSet<>();
    Map<String, String> messageReasons = new LinkedHashMap<>();
    Set<Map<String, String>> badAttachments = new HashSet<>();
    long goodMessagesOfGoodThreads = 0;
    for (Map<String, AttributeValue> t : threads) {
      String threadId = t.get("threadId").s();
      for (Map<String, AttributeValue> m : items(source.messages(ctx, threadId, null))) {
        Decoded<MessageItem> d = Decoded.message(m);
        if (d instanceof Decoded.Good<MessageItem> g) {
          if (goodThreadIds.contains(threadId)) goodMessagesOfGoodThreads++;
          for (BadAttachment a : g.value().badAttachments()) {
            badAttachments.add(Map.of("threadId", threadId, "messageId", g.value().messageId(),
                "attachmentId", a.attachmentId()));
            assertTrue(a.reason().endsWith(": missing url"), a.reason());
          }
        } else if (d instanceof Decoded.Bad<MessageItem> b) {
          assertEquals("message", b.kind());
          badMessages.add(b.sourceKey());
          messageReasons.put(b.sourceKey().get("messageId"), b.reason());
        }
      }
    }
    assertEquals(keys(account.badRecords("message")), badMessages);
    assertEquals(account.goodMessages(), goodMessagesOfGoodThreads);
    // the other planted attachment faults are about URLs, which the media fetcher judges
    Set<Map<String, String>> missingUrl = account.badRecords("attachment").stream()
        .filter(b -> b.reason().equals("missingUrl")).map(BadRecord::sourceKey).collect(Collectors.toSet());
    assertEquals(missingUrl, badAttachments);
    for (BadRecord b : account.badRecords("message")) {
      String reason = messageReasons.get(b.sourceKey().get("messageId"));
      String expected = switch (b.reason()) {
        case "missingDirection" -> "missing direction";
        case "sentAtString" -> "sentAt must be N, got S";
        case "missingAuthor" -> "missing author";
        case "authorNotMap" -> "author must be M, got S";
        default -> throw new AssertionError(b.reason());
      };
      assertEquals("message " + b.sourceKey().get("threadId") + "/" + b.sourceKey().get("messageId") + ": " + expected,
          reason);
    }
  }

  @Test
  void extrasAndJsonColumnsAreLossless() {
    Context ctx = vertx.getOrCreateContext();
    int withExtras = 0;
    for (Map<String, AttributeValue> t : items(source.allThreads(ctx, ACCOUNT, null))) {
      if (!(Decoded.thread(t) instanceof Decoded.Good<ThreadItem> g)) continue;
      ThreadItem item = g.value();
      Map<String, AttributeValue> extras = new LinkedHashMap<>(t);
      List.of("accountId", "threadId", "channelId", "subject", "status", "customer", "createdAt", "lastMessageAt",
          "messageCount", "tags").forEach(extras::remove);
      if (extras.isEmpty()) {
        assertNull(item.extraJson());
      } else {
        withExtras++;
        assertEquals(extras, AttributeJson.parseDynamoMap(item.extraJson()));
      }
      JsonObject customer = new JsonObject(item.customerJson());
      assertEquals(t.get("customer").m().get("id").s(), customer.getString("id"));
      assertEquals(t.get("customer").m().keySet(), customer.fieldNames());
      assertEquals(Long.parseLong(t.get("createdAt").n()), item.createdAt());
    }
    assertTrue(withExtras > 0, "the generator plants unnamed attributes");
  }

  @Test
  void nulAndEmojiTextDecodesIdentically() {
    Context ctx = vertx.getOrCreateContext();
    int nul = 0;
    int emoji = 0;
    for (ThreadOutcome t : account.threads()) {
      for (Map<String, AttributeValue> m : items(source.messages(ctx, t.threadId(), null))) {
        if (!(Decoded.message(m) instanceof Decoded.Good<MessageItem> g)) continue;
        AttributeValue body = m.get("body");
        assertEquals(body == null ? null : body.s(), g.value().body());
        if (body != null && body.s().indexOf('\u0000') >= 0) nul++;
        if (body != null && body.s().codePoints().anyMatch(c -> c >= 0x1F300)) emoji++;
      }
    }
    assertTrue(nul > 0 && emoji > 0, "generator planted NUL (" + nul + ") and emoji (" + emoji + ") bodies");

    List<Map<String, AttributeValue>> items = items(source.messages(ctx, UNICODE_THREAD, null));
    assertEquals(1, items.size());
    MessageItem m = ((Decoded.Good<MessageItem>) Decoded.message(items.get(0))).value();
    assertEquals(unicodeBody(), m.body());
    JsonObject author = new JsonObject(m.authorJson());
    assertEquals("Zoë \u0000 \"Q\" \\ 👨‍👩‍👧‍👦", author.getString("name"));
    assertTrue(m.authorJson().contains("\\u0000"), "NUL travels as its escape: " + m.authorJson());
    assertFalse(m.authorJson().indexOf('\u0000') >= 0);
    assertTrue(m.telephonyJson().contains("\"durationSec\":12.5"), m.telephonyJson());
    assertTrue(m.telephonyJson().contains("\"tiny\":0.0000001"), m.telephonyJson());
    assertEquals(unicodeExtras, AttributeJson.parseDynamoMap(m.extraJson()));
    assertFalse(m.extraJson().indexOf('\u0000') >= 0);
    assertEquals(List.of(new AttachmentRef("x-att-1", "http://127.0.0.1:1/media/x", "é.pdf", "application/pdf", 12L)),
        m.attachments());
    assertEquals(2, m.badAttachments().size());
    assertEquals("attachment #1 must be M, got S", m.badAttachments().get(0).reason());
    assertEquals("attachment x-att-3: size must be N, got S", m.badAttachments().get(1).reason());
  }

  @Test
  void startKeysRoundTripThroughText() {
    Map<String, AttributeValue> key = new LinkedHashMap<>();
    key.put("accountId", AttributeValue.fromS("a-\u0000-\"é\"-😀"));
    key.put("lastMessageAt", AttributeValue.fromN("1760000000000"));
    key.put("big", AttributeValue.fromN("-123456789012345678901234567890.000000001"));
    key.put("bin", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[] {0, -1, 42})));
    String text = DynamoSource.encodeKey(key);
    assertEquals(key, DynamoSource.decodeKey(text));
    assertFalse(text.contains("\n") || text.indexOf('\u0000') >= 0, text);
    assertNull(DynamoSource.encodeKey(null));
    assertNull(DynamoSource.encodeKey(Map.of()));
    assertNull(DynamoSource.decodeKey(null));
  }

  @Test
  void plainJsonNumbersAreValidJsonWithTheExactValue() {
    for (String n : List.of("0", "-0", "12.50", "1E+3", "1e-7", ".5", "+5", "5.", "00012")) {
      String json = AttributeJson.plainJson(AttributeValue.fromN(n));
      Object parsed = new io.vertx.core.json.JsonArray("[" + json + "]").getValue(0);
      assertEquals(0, new BigDecimal(n).compareTo(new BigDecimal(parsed.toString())), n + " -> " + json);
    }
  }

  // ---- helpers

  private static String plantedThread(String plant) {
    return account.badRecords("thread").stream().filter(b -> b.reason().equals(plant))
        .findFirst().orElseThrow().sourceKey().get("threadId");
  }

  private static Set<Map<String, String>> keys(List<BadRecord> records) {
    return records.stream().map(BadRecord::sourceKey).collect(Collectors.toSet());
  }

  /** The error the flow ends with, or null when it completes. */
  static Throwable failure(Flowable<Page> flow) {
    return flow.ignoreElements().<Object>materialize().timeout(60, TimeUnit.SECONDS).blockingGet().getError();
  }

  static List<Page> pages(Flowable<Page> flow) {
    return flow.toList().timeout(60, TimeUnit.SECONDS).blockingGet();
  }

  static List<Map<String, AttributeValue>> items(Flowable<Page> flow) {
    return pages(flow).stream().flatMap(p -> p.items().stream()).toList();
  }

  static List<String> ids(List<Map<String, AttributeValue>> items, String name) {
    return items.stream().map(i -> i.get(name).s()).toList();
  }

  // metrics are published when the call has finished, which may be just after its result arrived
  static void awaitCount(LongAdder counter, long expected) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (counter.sum() < expected && System.currentTimeMillis() < deadline) Thread.sleep(20);
    assertEquals(expected, counter.sum());
  }

  private static String unicodeBody() {
    return "nul\u0000mid \u0000\u0000 😀 👨‍👩‍👧‍👦 🇫🇷 \u202Eevil\u202C \u0007bell \"q\" \\ ت\u0301 end\u0000";
  }

  /** A message with every attribute type and awkward text, written straight to the table. */
  private static Map<String, AttributeValue> putUnicodeMessage() throws Exception {
    Map<String, AttributeValue> author = new LinkedHashMap<>();
    author.put("type", AttributeValue.fromS("agent"));
    author.put("name", AttributeValue.fromS("Zoë \u0000 \"Q\" \\ 👨‍👩‍👧‍👦"));
    Map<String, AttributeValue> telephony = new LinkedHashMap<>();
    telephony.put("durationSec", AttributeValue.fromN("12.50"));
    telephony.put("tiny", AttributeValue.fromN("0.0000001"));
    Map<String, AttributeValue> good = new LinkedHashMap<>();
    good.put("attachmentId", AttributeValue.fromS("x-att-1"));
    good.put("url", AttributeValue.fromS("http://127.0.0.1:1/media/x"));
    good.put("fileName", AttributeValue.fromS("é.pdf"));
    good.put("contentType", AttributeValue.fromS("application/pdf"));
    good.put("size", AttributeValue.fromN("12"));
    Map<String, AttributeValue> badSize = new LinkedHashMap<>(good);
    badSize.put("attachmentId", AttributeValue.fromS("x-att-3"));
    badSize.put("size", AttributeValue.fromS("12"));
    Map<String, AttributeValue> extras = new LinkedHashMap<>();
    extras.put("bin", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[] {0, 1, -2, 127})));
    extras.put("bins", AttributeValue.fromBs(List.of(SdkBytes.fromByteArray(new byte[] {9}))));
    extras.put("nums", AttributeValue.fromNs(List.of("1", "-2.5", "123456789012345678901234567890.123")));
    extras.put("strs", AttributeValue.fromSs(List.of("a\u0000", "😀")));
    extras.put("flag", AttributeValue.fromBool(false));
    extras.put("gone", AttributeValue.fromNul(true));
    extras.put("nested", AttributeValue.fromM(Map.of("l", AttributeValue.fromL(List.of(
        AttributeValue.fromS("x\ny"), AttributeValue.fromN("7"), AttributeValue.fromL(List.of()),
        AttributeValue.fromM(Map.of()))))));
    extras.put("emoji 😀 key\u0000", AttributeValue.fromS("v"));
    Map<String, AttributeValue> item = new LinkedHashMap<>(extras);
    item.put("threadId", AttributeValue.fromS(UNICODE_THREAD));
    item.put("messageId", AttributeValue.fromS("m-1"));
    item.put("accountId", AttributeValue.fromS("x-account"));
    item.put("sentAt", AttributeValue.fromN("1760000000000"));
    item.put("direction", AttributeValue.fromS("outbound"));
    item.put("author", AttributeValue.fromM(author));
    item.put("body", AttributeValue.fromS(unicodeBody()));
    item.put("contentType", AttributeValue.fromS("text/plain"));
    item.put("telephony", AttributeValue.fromM(telephony));
    item.put("attachments", AttributeValue.fromL(List.of(AttributeValue.fromM(good), AttributeValue.fromS("junk"),
        AttributeValue.fromM(badSize))));
    dynalite.client().putItem(b -> b.tableName(tables.messagesTable()).item(item)).get(30, TimeUnit.SECONDS);
    return extras;
  }

  // ---- a fault-injecting proxy in front of dynalite: DynamoDB's own errors, never a mock of its data

  enum Fault {
    PROVISIONED_THROUGHPUT(400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"),
    THROTTLING(400, "com.amazon.coral.availability#ThrottlingException"),
    REQUEST_LIMIT(400, "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded"),
    SERVER_ERROR(500, "com.amazon.coral.service#InternalFailure");

    final int status;
    final String type;

    Fault(int status, String type) {
      this.status = status;
      this.type = type;
    }
  }

  static final class FaultProxy implements AutoCloseable {
    final Queue<Fault> next = new ConcurrentLinkedQueue<>();
    final AtomicInteger received = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    volatile boolean stallAll;
    volatile long latencyMs;
    private final Vertx vertx;
    private final int targetPort;
    private final HttpClient client;
    private HttpServer server;

    private FaultProxy(Vertx vertx, int targetPort) {
      this.vertx = vertx;
      this.targetPort = targetPort;
      this.client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(64));
    }

    static FaultProxy start(Vertx vertx, int targetPort) throws Exception {
      FaultProxy p = new FaultProxy(vertx, targetPort);
      p.server = vertx.createHttpServer().requestHandler(p::handle).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return p;
    }

    String endpoint() {
      return "http://127.0.0.1:" + server.actualPort();
    }

    private void handle(HttpServerRequest req) {
      received.incrementAndGet();
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
      req.body().onSuccess(body -> {
        if (stallAll) return;
        Fault fault = next.poll();
        if (fault != null) {
          inFlight.decrementAndGet();
          req.response().setStatusCode(fault.status).putHeader("content-type", "application/x-amz-json-1.0")
              .end(new JsonObject().put("__type", fault.type).put("message", "injected").encode());
          return;
        }
        if (latencyMs > 0) vertx.setTimer(latencyMs, t -> forward(req, body));
        else forward(req, body);
      });
    }

    private void forward(HttpServerRequest req, Buffer body) {
      client.request(req.method(), targetPort, "127.0.0.1", req.uri()).compose(out -> {
        req.headers().forEach((k, v) -> {
          if (!k.equalsIgnoreCase("host") && !k.equalsIgnoreCase("content-length") && !k.equalsIgnoreCase("connection")) {
            out.headers().add(k, v);
          }
        });
        return out.send(body);
      }).compose(resp -> resp.body().map(b -> {
        inFlight.decrementAndGet();
        req.response().setStatusCode(resp.statusCode());
        for (String h : List.of("content-type", "x-amz-crc32", "x-amzn-requestid")) {
          String v = resp.getHeader(h);
          if (v != null) req.response().putHeader(h, v);
        }
        req.response().end(b);
        return b;
      })).onFailure(e -> {
        inFlight.decrementAndGet();
        req.response().setStatusCode(502).end();
      });
    }

    @Override
    public void close() throws Exception {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      client.close();
    }
  }
}
