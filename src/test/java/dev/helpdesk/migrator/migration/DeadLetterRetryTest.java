package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Retrying a completed account's dead letters in place (CONTRACT §3.3): a dirty account completes
 * with media 500s among its dead letters; the media service recovers, one bad thread and one bad
 * message are fixed in the source, and an operator's retry copies the attachments and migrates the
 * fixed items while the status stays completed; what is still bad stays listed, tried once more.
 */
@ExtendWith(VertxExtension.class)
class DeadLetterRetryTest {
  static TestService svc;
  static SeedSummary dirty;
  static final String ID = "dlr-dirty";

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 40)
        .put("MIGRATION_THREAD_CONCURRENCY", 4)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 50)
        .put("MEDIA_MAX_ATTEMPTS", 2)).start();
    dirty = svc.seed(Profile.DIRTY, 44, List.of(ID));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aRetryOnACompletedAccountRecoversWhatIsGoodNowAndKeepsTheRest() {
    SeedSummary.AccountSummary s = dirty.account(ID);
    SourceSnapshot snap = Parity.snapshot(ID);

    // the planted media 500 plus one good attachment the media service fails for the first run
    List<String> media500 = new ArrayList<>();
    s.badRecords("attachment").stream().filter(b -> b.reason().equals("err500"))
        .forEach(b -> media500.add(b.sourceKey().get("attachmentId")));
    assertFalse(media500.isEmpty(), "the DIRTY profile plants a media 500");
    String extra = goodAttachment(s, snap);
    media500.add(extra);
    svc.simulator.faults().mediaStatus(extra, 500);

    svc.createAccount(ID);
    svc.startMigration(ID, false);
    JsonObject before = svc.awaitStatus(ID, "completed", 40_000);
    for (String a : media500) {
      assertEquals(1, svc.count("select count(*) from attachments where attachment_id = ? and state = 'failed'", a), a);
      assertEquals(1, openLetters().keySet().stream().filter(k -> k.contains(a)).count(), a);
    }
    Map<String, Integer> attemptsBefore = openLetters();
    JsonObject reconBefore = before.getJsonObject("reconciliation");

    // the source is fixed for one bad thread and one bad message; the media service recovers
    SeedSummary.BadRecord badThread = s.badRecords("thread").stream()
        .filter(b -> b.reason().equals("missingChannelId")).findFirst().orElseThrow();
    String fixedThread = badThread.sourceKey().get("threadId");
    Map<String, AttributeValue> thread = new HashMap<>(snap.threads().stream()
        .filter(t -> t.get("threadId").s().equals(fixedThread)).findFirst().orElseThrow());
    thread.put("channelId", AttributeValue.fromS("ch-fixed-by-hand"));
    put(svc.tables.threadsTable(), thread);
    int fixedThreadMessages = snap.messages(fixedThread).size();
    assertTrue(fixedThreadMessages > 0);

    SeedSummary.BadRecord badMessage = s.badRecords("message").stream()
        .filter(b -> b.reason().equals("missingDirection")).findFirst().orElseThrow();
    String fixedMessageThread = badMessage.sourceKey().get("threadId");
    String fixedMessage = badMessage.sourceKey().get("messageId");
    Map<String, AttributeValue> message = new HashMap<>(snap.messages(fixedMessageThread).stream()
        .filter(m -> m.get("messageId").s().equals(fixedMessage)).findFirst().orElseThrow());
    message.put("direction", AttributeValue.fromS("note"));
    put(svc.tables.messagesTable(), message);

    media500.forEach(a -> svc.simulator.faults().mediaStatus(a, 200));

    Response r = svc.http.post("/v1/accounts/" + ID + "/dead-letters/retry", ADMIN, "");
    assertEquals(202, r.status(), r.body());
    assertEquals(new JsonObject().put("accountId", ID).put("accepted", true).put("migrationStatus", "completed")
        .putNull("reason").put("queued", attemptsBefore.size()), r.json());

    Set<String> recovered = new HashSet<>();
    media500.forEach(a -> recovered.add(attachmentLetter(attemptsBefore, a)));
    recovered.add("thread " + key(Map.of("accountId", ID, "threadId", fixedThread)));
    recovered.add("message " + key(Map.of("threadId", fixedMessageThread, "messageId", fixedMessage)));
    assertTrue(attemptsBefore.keySet().containsAll(recovered), attemptsBefore.keySet() + " vs " + recovered);

    Map<String, Integer> after = awaitRetried(attemptsBefore, recovered);
    assertEquals("completed", svc.migrationStatus(ID));
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = ?", ID), "no new run");

    // the media service's attachments are copied and served
    String mobile = svc.mobileToken(ID);
    for (String a : media500) {
      assertEquals(1, svc.count("select count(*) from attachments where attachment_id = ? and state = 'copied' "
          + "and blob_sha256 is not null", a), a);
      assertEquals(200, svc.http.get("/v1/attachments/" + a, mobile).status(), a);
    }
    // the fixed thread arrived with all its messages, the fixed message in its thread
    assertEquals(1, svc.count("select count(*) from threads where thread_id = ? and channel_id = 'ch-fixed-by-hand' "
        + "and message_count = ?", fixedThread, fixedThreadMessages));
    assertEquals(fixedThreadMessages, svc.count("select count(*) from messages where thread_id = ?", fixedThread));
    assertEquals(1, svc.count("select count(*) from messages where thread_id = ? and message_id = ? and direction = 'note'",
        fixedMessageThread, fixedMessage));
    assertEquals(0, svc.count("select count(*) from threads where account_id = ? and message_count <> "
        + "(select count(*) from messages m where m.thread_id = threads.thread_id)", ID));

    // the API no longer lists what was recovered; what is still bad is listed, tried once more
    Map<String, JsonObject> listed = listed();
    assertEquals(after.keySet(), listed.keySet());
    for (String k : recovered) assertFalse(listed.containsKey(k), k);
    assertEquals(attemptsBefore.size() - recovered.size(), listed.size());
    listed.forEach((k, d) -> assertEquals(attemptsBefore.get(k) + 1, d.getInteger("attempts"), k));
    for (SeedSummary.BadRecord b : s.badRecords("message")) {
      if (b.sourceKey().get("messageId").equals(fixedMessage)) continue;
      assertTrue(listed.containsKey("message " + key(b.sourceKey())), b.toString());
    }
    assertTrue(listed.containsKey("thread " + key(s.badRecords("thread").stream()
        .filter(b -> b.reason().equals("createdAtString")).findFirst().orElseThrow().sourceKey())));
    assertTrue(listed.values().stream().anyMatch(d -> d.getString("reason").contains("404")), listed.toString());

    // the reconciliation takes in what came back and still adds up; the dead letters are the open ones
    JsonObject account = svc.http.get("/v1/accounts/" + ID, ADMIN).json();
    JsonObject recon = account.getJsonObject("reconciliation");
    Map<String, Long> openByKind = new TreeMap<>();
    listed.values().forEach(d -> openByKind.merge(d.getString("kind") + "s", 1L, Long::sum));
    for (String kind : List.of("threads", "messages", "attachments")) {
      JsonObject k = recon.getJsonObject(kind);
      assertTrue(k.getBoolean("ok"), recon.encode());
      assertEquals(openByKind.getOrDefault(kind, 0L), k.getLong("deadLetters"), kind);
    }
    JsonObject t0 = reconBefore.getJsonObject("threads"), t1 = recon.getJsonObject("threads");
    assertEquals(t0.getLong("itemsRead"), t1.getLong("itemsRead"));
    assertEquals(t0.getLong("rowsWritten") + 1, t1.getLong("rowsWritten"));
    JsonObject m0 = reconBefore.getJsonObject("messages"), m1 = recon.getJsonObject("messages");
    assertEquals(m0.getLong("itemsRead") + fixedThreadMessages, m1.getLong("itemsRead"));
    assertEquals(m0.getLong("rowsWritten") + fixedThreadMessages + 1, m1.getLong("rowsWritten"));
    JsonObject a0 = reconBefore.getJsonObject("attachments"), a1 = recon.getJsonObject("attachments");
    assertEquals(a0.getLong("rowsWritten") + media500.size(), a1.getLong("rowsWritten"));
    JsonObject progress = account.getJsonObject("progress");
    assertEquals(listed.size(), progress.getLong("deadLetters"));
    assertEquals(svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", ID),
        progress.getLong("attachmentsMigrated"));
    assertEquals(svc.count("select count(*) from messages where account_id = ?", ID), progress.getLong("messagesMigrated"));
    assertEquals(svc.count("select count(*) from threads where account_id = ?", ID), progress.getLong("threadsMigrated"));
  }

  /**
   * Two retries at once never work on a letter twice: every letter still bad is tried exactly once
   * per time a request took it, so the attempts added equal the letters the answers say were queued.
   */
  @Test
  void concurrentRetriesNeverProcessALetterTwice() {
    String id = "dlr-twice";
    svc.createAccount(id);
    svc.execute("update accounts set migration_status = 'completed', checked = true where account_id = ?", id);
    for (int i = 0; i < 12; i++) {
      svc.execute("insert into dead_letters (account_id, kind, source_key, reason) values (?, 'message', ?, 'missing sentAt')",
          id, new JsonObject().put("messageId", "m-" + i).put("threadId", "t-gone").encode());
    }
    Map<String, Integer> before = letters(id);
    List<Thread> threads = new ArrayList<>();
    List<Integer> queued = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 3; i++) {
      Thread t = new Thread(() -> {
        Response r = svc.http.post("/v1/accounts/" + id + "/dead-letters/retry", ADMIN, "");
        assertEquals(202, r.status(), r.body());
        queued.add(r.json().getInteger("queued"));
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      try {
        t.join(20_000);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
    assertEquals(3, queued.size());
    int expected = queued.stream().mapToInt(Integer::intValue).sum();
    assertTrue(expected >= 12, "queued " + queued);
    long deadline = System.currentTimeMillis() + 20_000;
    int added;
    do {
      TestService.sleep(100);
      Map<String, Integer> now = letters(id);
      added = now.keySet().stream().mapToInt(k -> now.get(k) - before.get(k)).sum();
    } while (added < expected && System.currentTimeMillis() < deadline);
    TestService.sleep(500);
    Map<String, Integer> now = letters(id);
    assertEquals(expected, now.keySet().stream().mapToInt(k -> now.get(k) - before.get(k)).sum(), "queued " + queued);
    assertEquals(12, now.size());
    assertTrue(now.values().stream().allMatch(a -> a >= 2));
    assertEquals("completed", svc.migrationStatus(id));
  }

  /** Waits until the recovered letters are resolved and every other one was tried once more. */
  private static Map<String, Integer> awaitRetried(Map<String, Integer> before, Set<String> recovered) {
    long deadline = System.currentTimeMillis() + 30_000;
    Map<String, Integer> now;
    do {
      now = openLetters();
      boolean done = now.size() == before.size() - recovered.size();
      for (Map.Entry<String, Integer> e : now.entrySet()) {
        if (e.getValue() != before.get(e.getKey()) + 1) done = false;
      }
      if (done) return now;
      TestService.sleep(100);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("retry did not finish: before " + before + ", now " + now);
  }

  private static Map<String, JsonObject> listed() {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    String cursor = null;
    do {
      Response r = svc.http.get("/v1/accounts/" + ID + "/dead-letters?limit=200" + (cursor == null ? "" : "&cursor=" + cursor), ADMIN);
      assertEquals(200, r.status(), r.body());
      r.json().getJsonArray("items").forEach(o -> {
        JsonObject d = (JsonObject) o;
        out.put(d.getString("kind") + " " + d.getJsonObject("sourceKey").encode(), d);
      });
      cursor = r.json().getString("nextCursor");
    } while (cursor != null);
    return out;
  }

  /** Unresolved dead letters of the account as "kind canonical-key" → attempts. */
  private static Map<String, Integer> openLetters() {
    return letters(ID);
  }

  private static Map<String, Integer> letters(String accountId) {
    Map<String, Integer> out = new TreeMap<>();
    try (Connection c = svc.pg.connect(svc.database);
         var st = c.prepareStatement("select kind, source_key, attempts from dead_letters where account_id = ? and resolved_at is null")) {
      st.setString(1, accountId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.put(rs.getString(1) + " " + new JsonObject(rs.getString(2)).encode(), rs.getInt(3));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private static String attachmentLetter(Map<String, Integer> letters, String attachmentId) {
    return letters.keySet().stream().filter(k -> k.startsWith("attachment ") && k.contains("\"" + attachmentId + "\""))
        .findFirst().orElseThrow(() -> new AssertionError("no dead letter for " + attachmentId));
  }

  private static String key(Map<String, String> sourceKey) {
    return new JsonObject(new TreeMap<String, Object>(sourceKey)).encode();
  }

  /** An attachment of a good message of a good thread that no plant touches. */
  private static String goodAttachment(SeedSummary.AccountSummary s, SourceSnapshot snap) {
    Set<String> badThreads = new HashSet<>();
    s.badRecords("thread").forEach(b -> badThreads.add(b.sourceKey().get("threadId")));
    Set<String> badAttachments = new HashSet<>();
    s.badRecords("attachment").forEach(b -> badAttachments.add(b.sourceKey().get("attachmentId")));
    for (Map<String, AttributeValue> t : snap.threads()) {
      if (badThreads.contains(t.get("threadId").s())) continue;
      for (Map<String, AttributeValue> m : snap.messages(t.get("threadId").s())) {
        AttributeValue list = m.get("attachments");
        if (list == null || !list.hasL()) continue;
        for (AttributeValue a : list.l()) {
          String id = a.m().get("attachmentId").s();
          AttributeValue url = a.m().get("url");
          if (!badAttachments.contains(id) && url != null && url.s().startsWith(svc.simulator.mediaBaseUrl())) return id;
        }
      }
    }
    throw new AssertionError("no good attachment in the seeded account");
  }

  private static void put(String table, Map<String, AttributeValue> item) {
    TestService.await(Future.fromCompletionStage(TestService.dynalite().client().putItem(PutItemRequest.builder()
        .tableName(table).item(item).build())));
  }
}
