package dev.helpdesk.migrator.accounts;

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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/** The start table of CONTRACT §3.2, enforced by PostgreSQL. */
@ExtendWith(VertxExtension.class)
class StartMigrationTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    // reads capped: the accounts whose requests must meet a running migration take seconds on any machine
    // (uncapped, a fast one completed a small account before the last of fifty concurrent starts arrived)
    svc = TestService.prepare(vertx).configure(c -> c.put("DYNAMODB_READ_RATE_TOTAL", 25)).start();
    svc.seed(Profile.SAMPLE.withThreads(2, 2), 11, List.of("sm-app", "sm-force"));
    svc.seed(Profile.SAMPLE.withThreads(150, 150), 12, List.of("sm-race", "sm-conv"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void theAppStartsALegacyAccountWhichReachesChannelsOnlyWithItsBrandsAndChannels() {
    svc.createAccount("sm-app");
    Response started = svc.http.post("/v1/accounts/sm-app/start-migration", svc.mobileToken("sm-app"), "");
    assertEquals(202, started.status(), started.body());
    JsonObject answer = started.json();
    assertTrue(answer.getBoolean("accepted"));
    assertEquals("migrating", answer.getString("migrationStatus"));
    assertNull(answer.getString("reason"));
    assertTrue(answer.containsKey("reason"));

    JsonObject account = awaitChannelsIn("sm-app");
    assertTrue(svc.count("select count(*) from brands where account_id = 'sm-app'") >= 1);
    assertTrue(svc.count("select count(*) from channels where account_id = 'sm-app'") >= 1);
    assertEquals(svc.count("select count(*) from channels where account_id = 'sm-app'"),
        svc.count("select count(*) from channels c join brands b using (account_id, brand_id) where c.account_id = 'sm-app'"));
    JsonObject progress = account.getJsonObject("progress");
    assertEquals(2, progress.getInteger("threadsTotal"));

    // the message phases follow at once: by now the run may be over
    Response again = svc.http.post("/v1/accounts/sm-app/start-migration", svc.mobileToken("sm-app"), "");
    assertEquals(200, again.status());
    assertFalse(again.json().getBoolean("accepted"));
    assertTrue(List.of("already_running", "already_completed").contains(again.json().getString("reason")), again.body());
  }

  @Test
  void theAppGetsNotNeededForAnAccountConversationsNeverHeardOf() {
    svc.createAccount("sm-new");
    Response r = svc.http.post("/v1/accounts/sm-new/start-migration", svc.mobileToken("sm-new"), "");
    assertEquals(200, r.status());
    assertEquals("not_needed", r.json().getString("reason"));
    assertEquals("not_needed", r.json().getString("migrationStatus"));
    assertEquals(0, svc.count("select count(*) from migration_jobs where account_id = 'sm-new'"));
    // Conversations knows better: its own request is accepted (CONTRACT §3.2)
    Response migrate = svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", "sm-new"));
    assertEquals(202, migrate.status());
  }

  @Test
  void fiftyConcurrentStartsQueueExactlyOneJob() throws Exception {
    svc.createAccount("sm-race");
    String token = svc.mobileToken("sm-race");
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Callable<Response>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      int n = i;
      calls.add(() -> n % 2 == 0
          ? svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", "sm-race"))
          : svc.http.post("/v1/accounts/sm-race/start-migration", token, ""));
    }
    int accepted = 0;
    for (Future<Response> f : pool.invokeAll(calls)) {
      Response r = f.get();
      assertTrue(r.status() == 202 || r.status() == 200, r.body());
      if (r.json().getBoolean("accepted")) accepted++;
      else assertEquals("already_running", r.json().getString("reason"), r.body());
    }
    pool.shutdown();
    assertEquals(1, accepted);
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = 'sm-race'"));
  }

  @Test
  void conversationsRequestsFollowTheTableIncludingForce() {
    svc.createAccount("sm-conv");
    JsonObject body = new JsonObject().put("accountId", "sm-conv");
    assertEquals(202, svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, body).status());
    // the job row exists by the time the 202 is out
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = 'sm-conv'"));
    assertEquals("already_running", svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, body).json().getString("reason"));
    assertEquals("already_running",
        svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, body.copy().put("force", true)).json().getString("reason"));
  }

  @Test
  void aCompletedAccountIsLeftAloneUnlessForcedAndAFailedOneResumes() {
    svc.createAccount("sm-force");
    setStatus("sm-force", "completed");
    JsonObject body = new JsonObject().put("accountId", "sm-force");
    Response plain = svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, body);
    assertEquals("already_completed", plain.json().getString("reason"));
    assertEquals("already_completed",
        svc.http.post("/v1/accounts/sm-force/start-migration", svc.mobileToken("sm-force"), "").json().getString("reason"));
    assertEquals(202, svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, body.copy().put("force", true)).status());
    awaitChannelsIn("sm-force");

    setStatus("sm-force", "paused");
    assertEquals("paused", svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, body).json().getString("reason"));

  }

  @Test
  void aRunThatFailsSaysWhyAndALaterStartResumesTheSameJob() {
    svc.createAccount("sm-fail");
    svc.seed(Profile.SAMPLE.withThreads(1, 1), 12, List.of("sm-fail"));
    svc.simulator.faults().addUnknownAccount("sm-fail");
    JsonObject body = new JsonObject().put("accountId", "sm-fail");
    assertEquals(202, svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, body).status());
    JsonObject failed = svc.awaitStatus("sm-fail", "failed", 15_000);
    assertTrue(failed.getString("failureReason").startsWith("conversations_unknown_account"), failed.encode());
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = 'sm-fail' and state = 'failed'"));

    svc.simulator.faults().unknownAccounts(java.util.Set.of());
    assertEquals(202, svc.http.post("/v1/accounts/sm-fail/start-migration", svc.mobileToken("sm-fail"), "").status());
    JsonObject resumed = awaitChannelsIn("sm-fail");
    assertNull(resumed.getString("failureReason"));
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = 'sm-fail'"));
  }

  /** channels_only or any later status of the run: the message phases do not wait for the test to look. */
  private static JsonObject awaitChannelsIn(String accountId) {
    List<String> reached = List.of("channels_only", "recent_messages_only", "completed");
    long deadline = System.currentTimeMillis() + 15_000;
    JsonObject account;
    do {
      account = svc.http.get("/v1/accounts/" + accountId, TestService.ADMIN).json();
      if (reached.contains(account.getString("migrationStatus"))) return account;
      TestService.sleep(50);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError(accountId + " did not reach channels_only: " + account.encode());
  }

  private static void setStatus(String accountId, String status) {
    svc.execute("update accounts set migration_status = ? where account_id = ?", status, accountId);
  }
}
