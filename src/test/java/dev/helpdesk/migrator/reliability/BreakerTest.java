package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.sim.Stats;
import dev.helpdesk.migrator.support.Http;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Conversations' circuit breaker counted at the network edge (the simulator's request counter),
 * beyond what ConversationsOutageTest shows: it opens at exactly BREAKER_MAX_FAILURES failed calls,
 * lets nothing through for BREAKER_RESET_TIMEOUT_MS, then exactly one probe however many callers
 * are waiting, re-opens when the probe fails and closes when one succeeds.
 *
 * <p>Calls are made the app's way: {@code GET /v1/accounts} checks a never-checked account with a
 * budget of one time-out, so each listing is one call at most.
 */
@ExtendWith(VertxExtension.class)
class BreakerTest {
  private static final int MAX_FAILURES = 3;
  private static final long RESET_MS = 2000;
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("BREAKER_MAX_FAILURES", MAX_FAILURES)
        .put("BREAKER_RESET_TIMEOUT_MS", RESET_MS)).start();
    svc.createAccount("brk-a");
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void opensAtTheConfiguredFailuresLetsOneProbeThroughAfterTheResetTimeoutAndClosesOnRecovery() throws Exception {
    String token = svc.mobileToken("brk-a");
    svc.simulator.faults().reset().outage(true);
    svc.simulator.stats().reset();

    for (int i = 1; i <= MAX_FAILURES; i++) {
      assertEquals("CLOSED", breaker(), "before failure " + i);
      assertEquals(200, svc.http.get("/v1/accounts", token).status());
      assertEquals(i, calls(), "calls that reached Conversations");
    }
    long openedAt = System.currentTimeMillis();
    assertEquals("OPEN", breaker(), "open after exactly " + MAX_FAILURES + " failures");

    // open: callers are answered from what is stored, nothing reaches Conversations
    while (System.currentTimeMillis() - openedAt < RESET_MS - 300) {
      assertEquals(200, svc.http.get("/v1/accounts", token).status());
      TestService.sleep(50);
    }
    assertEquals(MAX_FAILURES, calls(), "calls while open");

    // past the reset time-out, ten callers at once: one probe, the others fail fast
    awaitState("HALF_OPEN", RESET_MS + 1000);
    long halfOpenAfter = System.currentTimeMillis() - openedAt;
    List<CompletableFuture<Http.Response>> burst = new ArrayList<>();
    for (int i = 0; i < 10; i++) burst.add(CompletableFuture.supplyAsync(() -> svc.http.get("/v1/accounts", token)));
    for (var f : burst) assertEquals(200, f.get().status());
    assertEquals(MAX_FAILURES + 1, calls(), "exactly one probe in half-open");
    assertEquals("OPEN", breaker(), "the failed probe opens it again");
    System.out.println("breaker: open after " + MAX_FAILURES + " failed calls, half-open after " + halfOpenAfter
        + " ms (reset " + RESET_MS + " ms), 1 probe for 10 callers");

    // Conversations recovers: the next probe succeeds and closes it; calls flow again
    svc.simulator.faults().outage(false);
    awaitState("HALF_OPEN", RESET_MS + 1000);
    var listed = svc.http.get("/v1/accounts", token).json().getJsonArray("items").getJsonObject(0);
    assertEquals(MAX_FAILURES + 2, calls());
    assertEquals("CLOSED", breaker());
    assertEquals("not_needed", listed.getString("migrationStatus"), "the probe's answer (404) was used");

    // 404s are answers: a run of them keeps it closed and every one reaches Conversations
    for (int i = 0; i < 2 * MAX_FAILURES; i++) {
      svc.createAccount("brk-unknown-" + i);
      svc.http.get("/v1/accounts", svc.mobileToken("brk-unknown-" + i));
    }
    assertEquals(MAX_FAILURES + 2 + 2L * MAX_FAILURES, calls());
    assertEquals("CLOSED", breaker());
  }

  private static long calls() {
    return svc.simulator.stats().requests(Stats.CHECK);
  }

  /** As an operator's probe sees it: the readiness body reports the breaker. */
  private static String breaker() {
    return svc.http.get("/health/ready", null).json().getJsonObject("conversations").getString("breaker");
  }

  private static void awaitState(String state, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!state.equals(breaker())) {
      assertTrue(System.currentTimeMillis() < deadline, "breaker not " + state + " in " + timeoutMs + " ms: " + breaker());
      TestService.sleep(20);
    }
  }
}
