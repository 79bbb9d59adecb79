package dev.helpdesk.migrator.api;

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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/** The operators' dead-letter routes (CONTRACT §3.3) over rows written straight into the table. */
@ExtendWith(VertxExtension.class)
class ReadApiDeadLettersTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void unresolvedDeadLettersComeInIdOrderWithTheirShapeAcrossPages() {
    String account = "dl-list";
    svc.createAccount(account);
    for (int i = 0; i < 7; i++) deadLetter(account, "message", new JsonObject().put("threadId", "t-1").put("messageId", "m-" + i));
    deadLetter(account, "attachment", new JsonObject().put("threadId", "t-1").put("messageId", "m-0").put("attachmentId", "a-\u0000"));
    svc.execute("update dead_letters set resolved_at = now() where account_id = ? and source_key like '%m-3%'", account);

    List<JsonObject> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    String cursor = null;
    do {
      Response r = svc.http.get("/v1/accounts/" + account + "/dead-letters?limit=3" + (cursor == null ? "" : "&cursor=" + cursor), ADMIN);
      assertEquals(200, r.status(), r.body());
      JsonArray items = r.json().getJsonArray("items");
      sizes.add(items.size());
      items.forEach(o -> seen.add((JsonObject) o));
      cursor = r.json().getString("nextCursor");
    } while (cursor != null);
    assertEquals(List.of(3, 3, 1), sizes);
    assertEquals(List.of("m-0", "m-1", "m-2", "m-4", "m-5", "m-6", "m-0"),
        seen.stream().map(d -> d.getJsonObject("sourceKey").getString("messageId")).toList());
    JsonObject first = seen.get(0);
    assertEquals(Set.of("kind", "sourceKey", "reason", "attempts", "firstFailedAt", "lastFailedAt"), first.fieldNames());
    assertEquals("message", first.getString("kind"));
    assertEquals("missing sentAt", first.getString("reason"));
    assertEquals(2, first.getInteger("attempts"));
    assertEquals("2026-11-25T10:00:00Z", first.getString("firstFailedAt"));
    assertEquals("2026-11-25T10:00:04.250Z", first.getString("lastFailedAt"));
    JsonObject last = seen.get(6);
    assertEquals("attachment", last.getString("kind"));
    assertEquals("a-\u0000", last.getJsonObject("sourceKey").getString("attachmentId"));
  }

  @Test
  void anAccountWithoutDeadLettersListsEmptyAndAMissingOneIs404() {
    svc.createAccount("dl-clean");
    Response clean = svc.http.get("/v1/accounts/dl-clean/dead-letters", ADMIN);
    assertEquals(200, clean.status());
    assertEquals(new JsonObject().put("items", new JsonArray()).putNull("nextCursor"), clean.json());
    Response missing = svc.http.get("/v1/accounts/dl-missing/dead-letters", ADMIN);
    assertEquals(404, missing.status());
    assertEquals("not_found", missing.error());
    assertEquals(404, svc.http.post("/v1/accounts/dl-missing/dead-letters/retry", ADMIN, "").status());
    assertEquals(400, svc.http.get("/v1/accounts/dl-clean/dead-letters?limit=0", ADMIN).status());
    assertEquals(400, svc.http.get("/v1/accounts/dl-clean/dead-letters?cursor=abc", ADMIN).status());
    assertEquals(400, svc.http.get("/v1/accounts/dl-missing/dead-letters?limit=201", ADMIN).status(), "400 before 404");
  }

  @Test
  void retryAnswersPerStatus() {
    Map<String, String> refusals = Map.of(
        "not_started", "nothing_to_retry",
        "not_needed", "nothing_to_retry",
        "migrating", "already_running",
        "channels_only", "already_running",
        "recent_messages_only", "already_running",
        "paused", "paused");
    refusals.forEach((status, reason) -> {
      String account = "dl-r-" + status;
      svc.createAccount(account);
      setStatus(account, status);
      deadLetter(account, "thread", new JsonObject().put("threadId", "t-1"));
      Response r = svc.http.post("/v1/accounts/" + account + "/dead-letters/retry", ADMIN, "");
      assertEquals(200, r.status(), status);
      assertEquals(new JsonObject().put("accountId", account).put("accepted", false).put("migrationStatus", status)
          .put("reason", reason), r.json(), status);
      assertEquals(status, svc.migrationStatus(account));
    });
  }

  @Test
  void retryOnAFailedAccountResumesTheRun() {
    String account = "dl-failed";
    svc.createAccount(account);
    setStatus(account, "failed");
    deadLetter(account, "thread", new JsonObject().put("threadId", "t-1"));
    Response r = svc.http.post("/v1/accounts/" + account + "/dead-letters/retry", ADMIN, "");
    assertEquals(202, r.status(), r.body());
    assertEquals(new JsonObject().put("accountId", account).put("accepted", true).put("migrationStatus", "migrating")
        .putNull("reason"), r.json());
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = ?", account));
  }

  @Test
  void retryOnACompletedAccountQueuesItsDeadLettersAndKeepsTheStatus() {
    String account = "dl-done";
    svc.createAccount(account);
    setStatus(account, "completed");
    Response nothing = svc.http.post("/v1/accounts/" + account + "/dead-letters/retry", ADMIN, "");
    assertEquals(200, nothing.status());
    assertEquals("nothing_to_retry", nothing.json().getString("reason"));

    // neither can be recovered: the attachment has no row to fetch, the message is not in the source
    deadLetter(account, "attachment", new JsonObject().put("attachmentId", "a-1"));
    deadLetter(account, "message", new JsonObject().put("threadId", "t-1").put("messageId", "m-1"));
    Response r = svc.http.post("/v1/accounts/" + account + "/dead-letters/retry", ADMIN, "");
    assertEquals(202, r.status(), r.body());
    assertEquals(new JsonObject().put("accountId", account).put("accepted", true).put("migrationStatus", "completed")
        .putNull("reason").put("queued", 2), r.json());

    long deadline = System.currentTimeMillis() + 20_000;
    while (svc.count("select count(*) from dead_letters where account_id = ? and attempts = 3", account) < 2
        && System.currentTimeMillis() < deadline) {
      TestService.sleep(50);
    }
    JsonArray items = svc.http.get("/v1/accounts/" + account + "/dead-letters", ADMIN).json().getJsonArray("items");
    assertEquals(2, items.size(), items.encode());
    JsonObject attachment = items.getJsonObject(0);
    JsonObject message = items.getJsonObject(1);
    assertEquals(3, attachment.getInteger("attempts"));
    assertEquals("missing sentAt", attachment.getString("reason"), "an attachment without a row keeps its reason");
    assertEquals(3, message.getInteger("attempts"));
    assertEquals("message t-1/m-1 is no longer in the source", message.getString("reason"));
    assertNotEquals("2026-11-25T10:00:04.250Z", message.getString("lastFailedAt"));
    assertEquals("completed", svc.migrationStatus(account));
    assertEquals(0, svc.count("select count(*) from migration_jobs where account_id = ?", account));
  }

  static void deadLetter(String account, String kind, JsonObject sourceKey) {
    svc.execute("""
        insert into dead_letters (account_id, kind, source_key, reason, attempts, first_failed_at, last_failed_at)
        values (?, ?, ?, 'missing sentAt', 2, timestamptz '2026-11-25T10:00:00Z', timestamptz '2026-11-25T10:00:04.25Z')""",
        account, kind, sourceKey.encode());
  }

  static void setStatus(String account, String status) {
    svc.execute("update accounts set migration_status = ?, checked = true where account_id = ?", status, account);
  }
}
