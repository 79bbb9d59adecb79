package dev.helpdesk.migrator.reliability;

import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Any body DynamoDB can hold comes back from the app's API exactly as it was: every plane,
 * U+0000, combining marks, RTL and ~380 KB bodies. 10 tries × 1,000 bodies, each try one account
 * migrated through the whole pipeline (DynamoDB → PostgreSQL → read API).
 */
class UnicodeRoundTripProperties {
  private static final int MAX_BODY_BYTES = 380_000;
  private static Vertx vertx;
  private static TestService svc;
  private static final AtomicInteger tries = new AtomicInteger();

  @BeforeContainer
  static void start() {
    vertx = Vertx.vertx();
    svc = TestService.prepare(vertx).start();
  }

  @AfterContainer
  static void stop() {
    svc.close();
    TestService.await(vertx.close());
  }

  @Property(tries = 10, shrinking = net.jqwik.api.ShrinkingMode.BOUNDED)
  void bodiesSurviveTheMigrationByteForByte(@ForAll @Size(1000) List<@From("bodies") String> bodies) {
    String account = "uni-" + tries.incrementAndGet();
    String thread = account + "-t";
    seed(account, thread, bodies);
    svc.createAccount(account);
    assertEquals(202, svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", account)).status());
    svc.awaitStatus(account, "completed", 120_000);

    String token = svc.mobileToken(account);
    Map<String, String> read = new HashMap<>();
    String cursor = null;
    do {
      var page = svc.http.get("/v1/threads/" + thread + "/messages?limit=200" + (cursor == null ? "" : "&cursor=" + cursor), token);
      assertEquals(200, page.status(), page.body());
      for (Object o : page.json().getJsonArray("items")) {
        JsonObject m = (JsonObject) o;
        read.put(m.getString("messageId"), m.getString("body"));
      }
      cursor = page.json().getString("nextCursor");
    } while (cursor != null);

    assertEquals(bodies.size(), read.size());
    for (int i = 0; i < bodies.size(); i++) {
      String expected = bodies.get(i);
      String actual = read.get(messageId(i));
      if (!expected.equals(actual)) {
        fail("message " + i + " differs: sent " + expected.getBytes(StandardCharsets.UTF_8).length + " bytes, got "
            + (actual == null ? "nothing" : actual.getBytes(StandardCharsets.UTF_8).length + " bytes"));
      }
    }
  }

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<Integer> anyScalar = Arbitraries.integers().between(0, 0x10FFFF).filter(cp -> cp < 0xD800 || cp > 0xDFFF);
    Arbitrary<Integer> tricky = Arbitraries.of(0x0000, 0x0301, 0x0308, 0x200D, 0x202E, 0x05D0, 0x0627, 0xFEFF, 0xFFFD,
        0x1F600, 0x1F469, 0x10FFFF, 0x0085, 0x2028, 0x5C, 0x22, 0x0A, 0x0D, 0x09);
    Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, anyScalar), net.jqwik.api.Tuple.of(3, tricky),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x20, 0x7E)));
    Arbitrary<String> ordinary = codePoint.list().ofMinSize(1).ofMaxSize(300).map(UnicodeRoundTripProperties::text);
    Arbitrary<String> huge = anyScalar.list().ofSize(64).map(UnicodeRoundTripProperties::text).map(UnicodeRoundTripProperties::upToLimit);
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(995, ordinary), net.jqwik.api.Tuple.of(5, huge));
  }

  private static String text(List<Integer> codePoints) {
    StringBuilder sb = new StringBuilder();
    codePoints.forEach(sb::appendCodePoint);
    return sb.toString();
  }

  /** Repeats a pattern to just under DynamoDB's item limit, never cutting a code point in two. */
  private static String upToLimit(String pattern) {
    StringBuilder sb = new StringBuilder();
    int bytes = 0;
    int patternBytes = pattern.getBytes(StandardCharsets.UTF_8).length;
    while (bytes + patternBytes <= MAX_BODY_BYTES) {
      sb.append(pattern);
      bytes += patternBytes;
    }
    return sb.toString();
  }

  private static String messageId(int i) {
    return String.format("m-%05d", i);
  }

  private static void seed(String account, String thread, List<String> bodies) {
    long now = System.currentTimeMillis();
    List<Map<String, AttributeValue>> threads = List.of(Map.of(
        "accountId", s(account), "threadId", s(thread), "channelId", s("c-1"), "status", s("open"),
        "customer", AttributeValue.fromM(Map.of("id", s("cust-1"))),
        "createdAt", n(now - 1000), "lastMessageAt", n(now), "messageCount", n(bodies.size())));
    List<Map<String, AttributeValue>> messages = new ArrayList<>();
    for (int i = 0; i < bodies.size(); i++) {
      messages.add(Map.of("threadId", s(thread), "messageId", s(messageId(i)), "accountId", s(account),
          "sentAt", n(now - bodies.size() + i), "direction", s("inbound"),
          "author", AttributeValue.fromM(Map.of("type", s("customer"))), "body", s(bodies.get(i)),
          "contentType", s("text/plain")));
    }
    write(svc.tables.threadsTable(), threads);
    write(svc.tables.messagesTable(), messages);
  }

  private static void write(String table, List<Map<String, AttributeValue>> items) {
    var client = TestService.dynalite().client();
    for (int from = 0; from < items.size(); from += 25) {
      List<WriteRequest> batch = new ArrayList<>();
      for (var item : items.subList(from, Math.min(items.size(), from + 25))) {
        batch.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
      }
      Map<String, List<WriteRequest>> pending = Map.of(table, batch);
      while (!pending.isEmpty()) {
        pending = client.batchWriteItem(BatchWriteItemRequest.builder().requestItems(pending).build()).join().unprocessedItems();
      }
    }
  }

  private static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  private static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }
}
