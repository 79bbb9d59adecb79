package dev.helpdesk.migrator.conversations;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.sim.Stats;
import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Conversations misbehaving at the network edge (the simulator's knobs), seen from the API. */
@ExtendWith(VertxExtension.class)
class ConversationsOutageTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).start();
    svc.seed(Profile.SAMPLE.withThreads(1, 1), 21, List.of("out-retry"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @BeforeEach
  void healthy() {
    svc.simulator.faults().reset();
    svc.simulator.stats().reset();
    TestService.sleep(1600); // past the breaker's reset time-out, whatever an earlier test left
    breakerCheck("out-warmup");
  }

  @Test
  void transientErrorsAreRetriedWithBackOffUntilTheAnswerComes() {
    svc.simulator.faults().failNext(3);
    svc.simulator.stats().reset();
    JsonObject answer = breakerCheck("out-retry");
    assertTrue(answer.getBoolean("exists"));
    assertEquals(4, svc.simulator.stats().requests(Stats.CHECK));
    List<Stats.Request> log = svc.simulator.stats().log();
    for (int i = 1; i < log.size(); i++) {
      long gap = log.get(i).timeMs() - log.get(i - 1).timeMs();
      long ceiling = Math.min(100, 20L << (i - 1));
      assertTrue(gap >= ceiling / 2 && gap <= ceiling + 250, "gap " + i + " was " + gap + " ms");
    }
  }

  @Test
  void anOutageOpensTheBreakerTheListKeepsAnsweringAndRecoveryClosesIt() {
    svc.createAccount("out-a");
    String token = svc.mobileToken("out-a");
    svc.simulator.faults().outage(true);
    for (int i = 0; i < 6; i++) {
      long t0 = System.currentTimeMillis();
      Response r = svc.http.get("/v1/accounts", token);
      long took = System.currentTimeMillis() - t0;
      assertEquals(200, r.status());
      assertEquals("not_started", r.json().getJsonArray("items").getJsonObject(0).getString("migrationStatus"));
      assertFalse(r.json().getJsonArray("items").getJsonObject(0).getBoolean("checked"));
      assertTrue(took < 1000 + 500, "listing took " + took + " ms during the outage");
    }
    assertEquals("OPEN", breakerState());
    long seen = svc.simulator.stats().totalRequests();
    assertEquals(200, svc.http.get("/v1/accounts", token).status());
    assertEquals(seen, svc.simulator.stats().totalRequests(), "no call reaches Conversations while the breaker is open");

    svc.simulator.faults().outage(false);
    TestService.sleep(1700);
    Response after = svc.http.get("/v1/accounts", token);
    assertEquals("CLOSED", breakerState());
    assertEquals("not_needed", after.json().getJsonArray("items").getJsonObject(0).getString("migrationStatus"));
  }

  @Test
  void notFoundAnswersNeverOpenTheBreaker() {
    for (int i = 0; i < 10; i++) assertFalse(breakerCheck("out-unknown-" + i).getBoolean("exists"));
    assertEquals("CLOSED", breakerState());
  }

  @Test
  void aStalledConversationsFailsTheCheckWithinItsTimeOut() {
    svc.createAccount("out-stall");
    svc.simulator.faults().stall(true);
    long t0 = System.currentTimeMillis();
    Response r = svc.http.post("/v1/accounts/out-stall/start-migration", svc.mobileToken("out-stall"), "");
    long took = System.currentTimeMillis() - t0;
    assertEquals(503, r.status());
    assertEquals("unavailable", r.error());
    // 4 attempts of 1 s plus back-off below 100 ms each
    assertTrue(took < 4 * 1100 + 400, "took " + took);
    assertEquals("not_started", svc.migrationStatus("out-stall"));
  }

  private static JsonObject breakerCheck(String accountId) {
    return TestService.await(Bus.request(svc.vertx, Bus.CONVERSATIONS_CHECK, new JsonObject().put("accountId", accountId), 10_000));
  }

  private static String breakerState() {
    return TestService.await(Bus.request(svc.vertx, Bus.CONVERSATIONS_STATE, new JsonObject(), 1000)).getString("breaker");
  }
}
