package dev.helpdesk.migrator.api;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.function.Consumer;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fresh instance runs its start path on itself before its port opens (WARMUP_ROUNDS): nothing it
 * writes stays, Conversations is never called, Conversations' rate budget is left to Conversations,
 * and a warm-up that goes wrong does not stop the start.
 */
@ExtendWith(VertxExtension.class)
class StartUpWarmUpTest {
  private TestService svc;

  @AfterEach
  void stop() {
    if (svc != null) svc.close();
  }

  private void start(Vertx vertx, Consumer<JsonObject> config) {
    svc = TestService.prepare(vertx).configure(c -> config.accept(c.put("WARMUP_ROUNDS", 60))).start();
  }

  @Test
  void theWarmUpLeavesNoRowsCallsNoConversationsAndTheInstanceMigratesAfterIt(Vertx vertx) {
    start(vertx, c -> {});
    assertEquals(0, svc.simulator.stats().totalRequests(), "requests that reached the Conversations stand-in");
    for (String table : List.of("accounts", "migration_jobs", "brands", "channels", "notifications")) {
      assertEquals(0, svc.count("select count(*) from " + table), table);
    }

    String id = "wu-1";
    var seeded = svc.seed(Profile.SAMPLE.withThreads(4, 4), 71, List.of(id)).account(id);
    svc.createAccount(id);
    svc.startMigration(id, false);
    JsonObject account = svc.awaitStatus(id, "completed", 60_000);
    assertEquals(seeded.goodMessages(), account.getJsonObject("progress").getLong("messagesMigrated"), account.encodePrettily());
    assertEquals(seeded.goodMessages(), svc.count("select count(*) from messages where account_id = ?", id));
    assertTrue(svc.count("select count(*) from channels where account_id = ?", id) > 0);
  }

  @Test
  void theWarmUpSpendsATwentiethOfConversationsBurstAtMost(Vertx vertx) {
    // 60 rounds would send Conversations' start 6 times; at this burst 2 is the cap
    start(vertx, c -> c.put("RATE_LIMIT_CONVERSATIONS_PER_SEC", 1).put("RATE_LIMIT_CONVERSATIONS_BURST", 40));
    for (int i = 0; i < 38; i++) {
      var r = svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", "wu-unknown-" + i));
      assertEquals(404, r.status(), "request " + i + ": " + r.body());
    }
  }

  @Test
  void aWarmUpThatGoesWrongDoesNotStopTheStart(Vertx vertx) {
    // two requests per mobile caller: the third and fourth of every round are refused (429)
    start(vertx, c -> c.put("RATE_LIMIT_MOBILE_PER_SEC", 1).put("RATE_LIMIT_MOBILE_BURST", 2));
    assertEquals(200, svc.http.get("/health/ready", null).status());
  }
}
