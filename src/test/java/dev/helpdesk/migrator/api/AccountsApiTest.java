package dev.helpdesk.migrator.api;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

@ExtendWith(VertxExtension.class)
class AccountsApiTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).start();
    svc.seed(Profile.SAMPLE.withThreads(3, 3), 7, List.of("api-legacy-1"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void creatingAnAccountIsIdempotentAndARepeatWithAnotherNameRenamesIt() {
    Response first = svc.http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", "api-a").put("name", "Acme"));
    assertEquals(201, first.status());
    JsonObject account = first.json();
    assertEquals("api-a", account.getString("accountId"));
    assertEquals("active", account.getString("status"));
    assertEquals("not_started", account.getString("migrationStatus"));
    assertFalse(account.getBoolean("checked"));
    assertTrue(account.containsKey("progress") && account.getValue("progress") == null);
    assertTrue(account.containsKey("failureReason") && account.containsKey("reconciliation"));

    Response again = svc.http.post("/v1/accounts", ADMIN, new JsonObject().put("accountId", "api-a").put("name", "Acme Inc"));
    assertEquals(200, again.status());
    assertEquals("Acme Inc", svc.http.get("/v1/accounts/api-a", ADMIN).json().getString("name"));
    assertEquals(1, svc.count("select count(*) from accounts where account_id = 'api-a'"));
  }

  @Test
  void theAppListsOnlyItsAccountsAndAnUnknownOneToConversationsBecomesNotNeeded() {
    svc.createAccount("api-legacy-1");
    svc.createAccount("api-brand-new");
    svc.createAccount("api-someone-else");
    Response list = svc.http.get("/v1/accounts", svc.mobileToken("api-legacy-1", "api-brand-new", "api-not-created-here"));
    assertEquals(200, list.status());
    Map<String, String> statuses = new java.util.HashMap<>();
    list.json().getJsonArray("items").forEach(o -> statuses.put(((JsonObject) o).getString("accountId"),
        ((JsonObject) o).getString("migrationStatus")));
    assertEquals(Map.of("api-legacy-1", "not_started", "api-brand-new", "not_needed"), statuses);
    assertTrue(list.json().containsKey("nextCursor"));
    assertTrue(svc.http.get("/v1/accounts/api-legacy-1", ADMIN).json().getBoolean("checked"));
  }

  @Test
  void aMobileUserGetsTheSame404ForAForeignAccountAsForAMissingOne() {
    svc.createAccount("api-foreign");
    String token = svc.mobileToken("api-mine");
    Response foreign = svc.http.get("/v1/accounts/api-foreign", token);
    Response missing = svc.http.get("/v1/accounts/api-missing", token);
    assertEquals(404, foreign.status());
    assertEquals(foreign.body(), missing.body());
    Response foreignStart = svc.http.post("/v1/accounts/api-foreign/start-migration", token, "");
    assertEquals(404, foreignStart.status());
    assertEquals("not_started", svc.migrationStatus("api-foreign"));
  }

  @Test
  void badBodiesAreRefusedWith4xxJsonAndChangeNothing() {
    long before = svc.count("select count(*) from accounts");
    String big = "{\"accountId\":\"x\",\"name\":\"" + "a".repeat(1024 * 1024) + "\"}";
    Map<String, Integer> cases = new java.util.LinkedHashMap<>();
    cases.put("{not json", 400);
    cases.put("[1,2]", 400);
    cases.put("\"just a string\"", 400);
    cases.put("", 400);
    cases.put("{}", 400);
    cases.put("{\"accountId\": 5, \"name\": \"n\"}", 400);
    cases.put("{\"accountId\": \"ok\", \"name\": [\"n\"]}", 400);
    cases.put("{\"accountId\": \"\", \"name\": \"n\"}", 400);
    cases.put("{\"accountId\": \"ok\"}", 400);
    cases.put("{\"accountId\": \"bad\\u0000id\", \"name\": \"n\"}", 400);
    cases.put(big, 413);
    cases.forEach((body, status) -> {
      Response r = svc.http.post("/v1/accounts", CONVERSATIONS_CALLER, body);
      assertEquals(status, r.status(), body.length() > 100 ? "1 MB body" : body);
      assertNotNull(r.error(), "JSON error shape for " + body);
      assertNotNull(r.json().getString("message"));
      assertFalse(r.body().contains("Exception"), r.body());
    });
    Response wrongForce = svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, "{\"accountId\": \"api-a\", \"force\": \"yes\"}");
    assertEquals(400, wrongForce.status());
    assertEquals(413, svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, big).status());
    assertEquals(before, svc.count("select count(*) from accounts"));
    assertEquals(0, svc.count("select count(*) from migration_jobs"));
  }

  @Test
  void unknownRoutesAndMethodsAre404InTheJsonShape() {
    Response r = svc.http.get("/v1/nothing-here", ADMIN);
    assertEquals(404, r.status());
    assertEquals("not_found", r.error());
    assertEquals(404, svc.http.send("DELETE", "/v1/accounts/api-a", ADMIN, null, Map.of()).status());
  }

  @Test
  void oversizedHeadersAre431InTheJsonShape() {
    Response r = svc.http.send("GET", "/v1/accounts/api-a", ADMIN, null, Map.of("X-Padding", "p".repeat(20_000)));
    assertEquals(431, r.status());
    assertEquals("headers_too_large", r.error());
  }

  @Test
  void healthNeedsNoCredentialAndReadinessFollowsTheDatabase() {
    Response live = svc.http.get("/health/live", null);
    assertEquals(200, live.status());
    Response ready = svc.http.get("/health/ready", null);
    assertEquals(200, ready.status());
    assertEquals("UP", ready.json().getJsonObject("postgresql").getString("status"));
    assertNotNull(ready.json().getJsonObject("conversations").getString("breaker"));
  }

  @Test
  void migrateForAnAccountNotCreatedHereIs404() {
    Response r = svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", "api-never-created"));
    assertEquals(404, r.status());
    assertEquals("not_found", r.error());
  }
}
