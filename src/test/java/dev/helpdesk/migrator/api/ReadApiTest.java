package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.read.Cursor;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The app's reading routes (CONTRACT §3.3) over rows written straight into the tables, as the
 * pipeline would leave them.
 */
@ExtendWith(VertxExtension.class)
class ReadApiTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  // --- threads ----------------------------------------------------------------------------

  @Test
  void threadsComeNewestFirstWithTiesByThreadIdAndEveryOneExactlyOnceAcrossPages() {
    String account = "rd-many";
    svc.createAccount(account);
    long base = 1_700_000_000_000L;
    List<String[]> expected = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      String id = String.format("th-%03d", i);
      long last = base + (i % 7) * 1000; // many ties on lastMessageAt
      thread(account, id, last);
      expected.add(new String[] {id, Long.toString(last)});
    }
    expected.sort(Comparator.<String[], Long>comparing(e -> Long.parseLong(e[1])).thenComparing(e -> e[0]).reversed());

    String token = svc.mobileToken(account);
    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    String cursor = null;
    do {
      Response r = svc.http.get("/v1/accounts/" + account + "/threads?limit=50" + (cursor == null ? "" : "&cursor=" + cursor), token);
      assertEquals(200, r.status(), r.body());
      JsonArray items = r.json().getJsonArray("items");
      sizes.add(items.size());
      for (Object o : items) seen.add(((JsonObject) o).getString("threadId"));
      assertTrue(r.json().containsKey("nextCursor"));
      cursor = r.json().getString("nextCursor");
    } while (cursor != null);
    assertEquals(List.of(50, 50, 20), sizes);
    assertEquals(expected.stream().map(e -> e[0]).toList(), seen);
    assertEquals(120, new HashSet<>(seen).size());
  }

  @Test
  void aThreadHasTheShapeOfTheContract() {
    String account = "rd-shape";
    svc.createAccount(account);
    svc.execute("""
        insert into threads (thread_id, account_id, channel_id, subject, status, customer, created_at, last_message_at,
                             source_message_count, message_count)
        values ('rd-shape-t', ?, 'c-1', 'Hello', 'open', ?, 1700000000000, 1700000005000, 99, 3)""",
        account, "{\"id\":\"cu-1\",\"name\":\"Zoë \\u0000\",\"email\":\"z@example.com\"}");
    Response r = svc.http.get("/v1/accounts/" + account + "/threads", svc.mobileToken(account));
    assertEquals(200, r.status());
    JsonObject t = r.json().getJsonArray("items").getJsonObject(0);
    assertEquals(Set.of("threadId", "accountId", "channelId", "subject", "status", "customer", "createdAt",
        "lastMessageAt", "messageCount"), t.fieldNames());
    assertEquals("rd-shape-t", t.getString("threadId"));
    assertEquals(account, t.getString("accountId"));
    assertEquals("c-1", t.getString("channelId"));
    assertEquals(1700000000000L, t.getLong("createdAt"));
    assertEquals(1700000005000L, t.getLong("lastMessageAt"));
    assertEquals(3, t.getInteger("messageCount"), "messageCount is what was migrated, not the source's");
    assertEquals("Zoë \u0000", t.getJsonObject("customer").getString("name"));
    assertNull(r.json().getValue("nextCursor"));
  }

  @Test
  void anAccountWithoutThreadsYetListsEmptyAndAForeignOrMissingOneIsTheSame404() {
    svc.createAccount("rd-empty");
    svc.createAccount("rd-foreign");
    thread("rd-foreign", "rd-foreign-t", 1L);
    String token = svc.mobileToken("rd-empty", "rd-in-token-not-here");
    Response empty = svc.http.get("/v1/accounts/rd-empty/threads", token);
    assertEquals(200, empty.status());
    assertEquals(new JsonObject().put("items", new JsonArray()).putNull("nextCursor"), empty.json());

    Response foreign = svc.http.get("/v1/accounts/rd-foreign/threads", token);
    Response missing = svc.http.get("/v1/accounts/rd-missing/threads", token);
    Response inTokenButUnknown = svc.http.get("/v1/accounts/rd-in-token-not-here/threads", token);
    assertEquals(404, foreign.status());
    assertEquals("not_found", foreign.error());
    assertEquals(foreign.body(), missing.body());
    assertEquals(foreign.body(), inTokenButUnknown.body());
  }

  @Test
  void badLimitsAndCursorsAre400EvenBeforeA404() {
    String account = "rd-bad";
    svc.createAccount(account);
    thread(account, "rd-bad-t", 5L);
    message("rd-bad-t", "m-1", account, 1L, "x");
    String token = svc.mobileToken(account);
    List<String> badLimits = List.of("0", "201", "-1", "abc", "1.5", "", "%2B5", "1e2", "99999999999", "5&limit=6");
    for (String limit : badLimits) {
      for (String path : List.of("/v1/accounts/" + account + "/threads", "/v1/threads/rd-bad-t/messages",
          "/v1/accounts/rd-someone-else/threads", "/v1/threads/rd-nope/messages")) {
        Response r = svc.http.get(path + "?limit=" + limit, token);
        assertEquals(400, r.status(), path + " limit=" + limit);
        assertEquals("bad_request", r.error());
      }
    }
    for (String limit : List.of("1", "200", "50")) {
      assertEquals(200, svc.http.get("/v1/accounts/" + account + "/threads?limit=" + limit, token).status(), limit);
    }

    String messagesCursor = Cursor.encode(Cursor.MESSAGES, 1L, "m-1");
    List<String> badCursors = List.of("", "%21%21%21", "abc", b64("[\"t\",1]"), b64("{\"a\":1}"), b64("[\"t\",1.5,\"x\"]"),
        b64("[\"t\", 5, \"rd-bad-t\"]"), b64("[\"t\",\"5\",\"rd-bad-t\"]"), b64("[\"t\",5,\"\"]"), messagesCursor,
        Cursor.encode(Cursor.THREADS, 5L, "rd-bad-t") + "=", Cursor.encode(Cursor.THREADS, 5L, "rd-bad-t").substring(1),
        "A".repeat(6_000), b64("[\"t\",99999999999999999999999,\"x\"]"));
    for (String cursor : badCursors) {
      Response r = svc.http.get("/v1/accounts/" + account + "/threads?cursor=" + cursor, token);
      assertEquals(400, r.status(), "threads cursor " + cursor);
      assertEquals("bad_request", r.error());
    }
    Response threadsCursorOnMessages = svc.http.get("/v1/threads/rd-bad-t/messages?cursor="
        + Cursor.encode(Cursor.THREADS, 5L, "rd-bad-t"), token);
    assertEquals(400, threadsCursorOnMessages.status());
    assertEquals(200, svc.http.get("/v1/threads/rd-bad-t/messages?cursor=" + messagesCursor, token).status());
  }

  // --- messages ---------------------------------------------------------------------------

  @Test
  void messagesComeBySentAtThenMessageIdWithTheirAttachmentsInPositionOrderAcrossPages() {
    String account = "rd-msgs";
    svc.createAccount(account);
    thread(account, "rd-msgs-t", 10L);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      // ids out of time order, and ties on sentAt broken by messageId
      String id = "m-" + (char) ('z' - i);
      long sentAt = 1000 + (i / 3);
      message("rd-msgs-t", id, account, sentAt, "body " + i);
      expected.add(sentAt + "/" + id);
    }
    expected.sort(Comparator.<String, Long>comparing(s -> Long.parseLong(s.split("/")[0])).thenComparing(s -> s.split("/")[1]));
    attachment("a-2", account, "rd-msgs-t", "m-z", 2, "pending", null, null);
    attachment("a-0", account, "rd-msgs-t", "m-z", 0, "copied", "0".repeat(64), "image/png");
    attachment("a-1", account, "rd-msgs-t", "m-z", 1, "failed", null, null);
    attachment("a-q", account, "rd-msgs-t", "m-q", 0, "pending", null, null);

    String token = svc.mobileToken(account);
    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    Map<String, JsonArray> attachmentsById = new java.util.HashMap<>();
    String cursor = null;
    do {
      Response r = svc.http.get("/v1/threads/rd-msgs-t/messages?limit=10" + (cursor == null ? "" : "&cursor=" + cursor), token);
      assertEquals(200, r.status(), r.body());
      JsonArray items = r.json().getJsonArray("items");
      sizes.add(items.size());
      for (Object o : items) {
        JsonObject m = (JsonObject) o;
        seen.add(m.getLong("sentAt") + "/" + m.getString("messageId"));
        attachmentsById.put(m.getString("messageId"), m.getJsonArray("attachments"));
      }
      cursor = r.json().getString("nextCursor");
    } while (cursor != null);
    assertEquals(List.of(10, 10, 5), sizes);
    assertEquals(expected, seen);

    JsonArray onZ = attachmentsById.get("m-z");
    assertEquals(List.of("a-0", "a-1", "a-2"), onZ.stream().map(o -> ((JsonObject) o).getString("attachmentId")).toList());
    assertEquals(List.of("copied", "failed", "pending"), onZ.stream().map(o -> ((JsonObject) o).getString("state")).toList());
    assertEquals(Set.of("attachmentId", "fileName", "contentType", "size", "state"), onZ.getJsonObject(0).fieldNames());
    assertEquals("a-0.bin", onZ.getJsonObject(0).getString("fileName"));
    assertEquals(123L, onZ.getJsonObject(0).getLong("size"));
    assertEquals(1, attachmentsById.get("m-q").size());
    assertEquals(0, attachmentsById.get("m-b").size());
  }

  @Test
  void aMessageHasTheShapeOfTheContract() {
    String account = "rd-mshape";
    svc.createAccount(account);
    thread(account, "rd-mshape-t", 10L);
    svc.execute("""
        insert into messages (thread_id, message_id, account_id, sent_at, direction, author, body, content_type, telephony)
        values ('rd-mshape-t', 'm-1', ?, 42, 'inbound', '{"type":"customer","id":"cu-1"}', null, 'text/plain',
                '{"durationSec":31,"recordingUrl":"https://media.example/r"}')""", account);
    Response r = svc.http.get("/v1/threads/rd-mshape-t/messages", svc.mobileToken(account));
    assertEquals(200, r.status());
    JsonObject m = r.json().getJsonArray("items").getJsonObject(0);
    assertEquals(Set.of("messageId", "threadId", "sentAt", "direction", "author", "body", "contentType", "attachments",
        "telephony"), m.fieldNames());
    assertEquals("rd-mshape-t", m.getString("threadId"));
    assertEquals(42L, m.getLong("sentAt"));
    assertEquals("inbound", m.getString("direction"));
    assertEquals("customer", m.getJsonObject("author").getString("type"));
    assertTrue(m.containsKey("body") && m.getValue("body") == null, "an attachment-only message has a null body");
    assertEquals(31, m.getJsonObject("telephony").getInteger("durationSec"));
    assertEquals(new JsonArray(), m.getJsonArray("attachments"));
  }

  @Test
  void bodiesComeBackExactlyAsTheSourceWroteThem() {
    String account = "rd-bodies";
    svc.createAccount(account);
    thread(account, "rd-bodies-t", 10L);
    String nul = "before\u0000after";
    String emoji = "family 👨‍👩‍👧‍👦 and flags 🇫🇷 and 𝄞";
    String rtl = "שלום עולם \u202Eevil\u202C مرحبا";
    StringBuilder big = new StringBuilder();
    while (big.length() < 400 * 1024 - 64) big.append("0123456789abcdef€\u0000😀");
    String large = big.toString();
    Map<String, String> bodies = Map.of("m-1", nul, "m-2", emoji, "m-3", rtl, "m-4", large);
    long at = 1;
    for (String id : List.of("m-1", "m-2", "m-3", "m-4")) message("rd-bodies-t", id, account, at++, bodies.get(id));

    Response r = svc.http.get("/v1/threads/rd-bodies-t/messages", svc.mobileToken(account));
    assertEquals(200, r.status());
    assertTrue(r.body().contains("before\\u0000after"), "U+0000 travels as the JSON escape");
    for (Object o : r.json().getJsonArray("items")) {
      JsonObject m = (JsonObject) o;
      String expected = bodies.get(m.getString("messageId"));
      assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), m.getString("body").getBytes(StandardCharsets.UTF_8),
          m.getString("messageId"));
    }
  }

  @Test
  void aPageOfLargeBodiesStopsEarlyButPagingStillReturnsEveryMessageOnce() {
    String account = "rd-large";
    svc.createAccount(account);
    thread(account, "rd-large-t", 10L);
    String body = "x".repeat(400 * 1024);
    for (int i = 0; i < 12; i++) message("rd-large-t", String.format("m-%02d", i), account, i, body);
    String token = svc.mobileToken(account);
    Response first = svc.http.get("/v1/threads/rd-large-t/messages?limit=200", token);
    assertEquals(200, first.status());
    int firstSize = first.json().getJsonArray("items").size();
    assertTrue(firstSize >= 1 && firstSize < 12, "first page holds " + firstSize);
    assertNotNull(first.json().getString("nextCursor"));
    Set<String> seen = new HashSet<>();
    first.json().getJsonArray("items").forEach(o -> assertTrue(seen.add(((JsonObject) o).getString("messageId"))));
    String cursor = first.json().getString("nextCursor");
    while (cursor != null) {
      Response r = svc.http.get("/v1/threads/rd-large-t/messages?limit=200&cursor=" + cursor, token);
      r.json().getJsonArray("items").forEach(o -> assertTrue(seen.add(((JsonObject) o).getString("messageId"))));
      cursor = r.json().getString("nextCursor");
    }
    assertEquals(12, seen.size());
  }

  @Test
  void aForeignThreadIsTheSame404AsAMissingOne() {
    svc.createAccount("rd-mine");
    svc.createAccount("rd-theirs");
    thread("rd-theirs", "rd-theirs-t", 10L);
    message("rd-theirs-t", "m-1", "rd-theirs", 1L, "secret");
    String token = svc.mobileToken("rd-mine");
    Response foreign = svc.http.get("/v1/threads/rd-theirs-t/messages", token);
    Response missing = svc.http.get("/v1/threads/rd-no-such-thread/messages", token);
    Response tooLong = svc.http.get("/v1/threads/" + "t".repeat(3000) + "/messages", token);
    assertEquals(404, foreign.status());
    assertEquals("not_found", foreign.error());
    assertEquals(foreign.body(), missing.body());
    assertEquals(foreign.body(), tooLong.body());
    assertFalse(foreign.body().contains("secret"));
    assertEquals(200, svc.http.get("/v1/threads/rd-theirs-t/messages", svc.mobileToken("rd-mine", "rd-theirs")).status());
  }

  // --- attachments ------------------------------------------------------------------------

  @Test
  void aCopiedAttachmentIsServedWithItsTypeAndOthersAreTheSame404() throws Exception {
    String account = "rd-att";
    svc.createAccount(account);
    svc.createAccount("rd-att-other");
    thread(account, "rd-att-t", 10L);
    byte[] bytes = new byte[300_000];
    new java.util.Random(7).nextBytes(bytes);
    String sha = storeBlob(bytes);
    attachment("rd-att-copied", account, "rd-att-t", "m-1", 0, "copied", sha, "image/png");
    attachment("rd-att-pending", account, "rd-att-t", "m-1", 1, "pending", null, null);
    attachment("rd-att-failed", account, "rd-att-t", "m-1", 2, "failed", null, null);
    attachment("rd-att-foreign", "rd-att-other", "rd-att-other-t", "m-1", 0, "copied", sha, "image/png");
    attachment("rd-att-hostile-type", account, "rd-att-t", "m-1", 3, "copied", sha, "text/html\r\nSet-Cookie: a=b");
    attachment("rd-att-no-blob", account, "rd-att-t", "m-1", 4, "copied", "f".repeat(64), "image/png");
    String token = svc.mobileToken(account);

    HttpResponse<byte[]> ok = getBytes("/v1/attachments/rd-att-copied", token);
    assertEquals(200, ok.statusCode());
    assertArrayEquals(bytes, ok.body());
    assertEquals("image/png", ok.headers().firstValue("Content-Type").orElse(null));
    assertEquals("nosniff", ok.headers().firstValue("X-Content-Type-Options").orElse(null));
    assertEquals("attachment", ok.headers().firstValue("Content-Disposition").orElse(null));

    // mobile HTTP stacks ask for gzip by default; the streamed file must still arrive intact
    HttpResponse<byte[]> gzipped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(svc.http.base() + "/v1/attachments/rd-att-copied"))
        .header("Authorization", "Bearer " + token).header("Accept-Encoding", "gzip").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, gzipped.statusCode());
    byte[] received = gzipped.headers().firstValue("Content-Encoding").orElse("").equals("gzip")
        ? new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gzipped.body())).readAllBytes() : gzipped.body();
    assertArrayEquals(bytes, received);

    HttpResponse<byte[]> hostile = getBytes("/v1/attachments/rd-att-hostile-type", token);
    assertEquals(200, hostile.statusCode());
    assertEquals("application/octet-stream", hostile.headers().firstValue("Content-Type").orElse(null));
    assertTrue(hostile.headers().firstValue("Set-Cookie").isEmpty());

    Response missing = svc.http.get("/v1/attachments/rd-att-none", token);
    assertEquals(404, missing.status());
    assertEquals("not_found", missing.error());
    for (String id : List.of("rd-att-pending", "rd-att-failed", "rd-att-foreign", "rd-att-no-blob")) {
      Response r = svc.http.get("/v1/attachments/" + id, token);
      assertEquals(404, r.status(), id);
      assertEquals(missing.body(), r.body(), id);
      assertEquals("application/json", r.headers().get("content-type").get(0), id);
    }
    // copied later: the same id now serves its bytes
    svc.execute("update attachments set state = 'copied', blob_sha256 = ?, stored_content_type = 'application/pdf' "
        + "where attachment_id = 'rd-att-pending'", sha);
    HttpResponse<byte[]> later = getBytes("/v1/attachments/rd-att-pending", token);
    assertEquals(200, later.statusCode());
    assertEquals("application/pdf", later.headers().firstValue("Content-Type").orElse(null));
  }

  // --- helpers ----------------------------------------------------------------------------

  static void thread(String account, String threadId, long lastMessageAt) {
    svc.execute("""
        insert into threads (thread_id, account_id, channel_id, status, customer, created_at, last_message_at, message_count)
        values (?, ?, 'c-1', 'open', '{"id":"cu-1"}', 1, ?, 0)""", threadId, account, lastMessageAt);
  }

  static void message(String threadId, String messageId, String account, long sentAt, String body) {
    svc.execute("""
        insert into messages (thread_id, message_id, account_id, sent_at, direction, author, body, content_type)
        values (?, ?, ?, ?, 'inbound', '{"type":"customer"}', ?, 'text/plain')""",
        threadId, messageId, account, sentAt, body.getBytes(StandardCharsets.UTF_8));
  }

  static void attachment(String id, String account, String threadId, String messageId, int position, String state,
                         String sha, String storedType) {
    svc.execute("""
        insert into attachments (attachment_id, account_id, thread_id, message_id, position, url, file_name, content_type,
                                 size, state, blob_sha256, stored_content_type)
        values (?, ?, ?, ?, ?, 'http://media.example/x', ?, 'application/octet-stream', 123, ?, ?, ?)""",
        id, account, threadId, messageId, position, id + ".bin", state, sha, storedType);
  }

  /** Lays the bytes out as BlobStore does: ab/cd/abcd... under ATTACHMENTS_DIR. */
  static String storeBlob(byte[] bytes) throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    Path file = Path.of(svc.config.getString("ATTACHMENTS_DIR"), sha.substring(0, 2), sha.substring(2, 4), sha);
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
    return sha;
  }

  static HttpResponse<byte[]> getBytes(String path, String token) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(svc.http.base() + path))
        .header("Authorization", "Bearer " + token).GET().build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
  }


  static String b64(String json) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
