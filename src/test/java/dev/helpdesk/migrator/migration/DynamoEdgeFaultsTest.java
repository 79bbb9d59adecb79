package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.support.DynamoFaultProxy;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * DynamoDB misbehaving at the network edge: 1-item pages, 30 % throttling, an empty announced last page,
 * Queries never answered.
 */
@ExtendWith(VertxExtension.class)
class DynamoEdgeFaultsTest {
  static final int IN_FLIGHT_CAP = 4;
  static final int CALL_TIMEOUT_MS = 2500;
  static TestService svc;
  static DynamoFaultProxy proxy;

  @BeforeAll
  static void start(Vertx vertx) {
    proxy = TestService.await(DynamoFaultProxy.start(vertx, TestService.dynalite().port()));
    svc = TestService.prepare(vertx).configure(c -> c
        .put("DYNAMODB_ENDPOINT", proxy.endpoint())
        .put("DYNAMODB_MAX_IN_FLIGHT", IN_FLIGHT_CAP)
        // 0.3^20: a call exhausting its attempts would be a one-in-10^10 event, not a flaky test
        .put("DYNAMODB_MAX_ATTEMPTS", 20)
        // an unanswered Query costs its account this long: short, so the test stays quick
        .put("DYNAMODB_CALL_TIMEOUT_MS", CALL_TIMEOUT_MS)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
    proxy.close();
  }

  @Test
  void tinyPagesThrottlingAndAnEmptyLastPageStillGiveExactCounts() {
    String id = "edge-1";
    SeedSummary seeded = svc.seed(Profile.SAMPLE.withThreads(12, 12).withMeanMessagesPerThread(4).withAttachmentRatio(0), 61,
        List.of(id));
    proxy.pageLimit = 1;
    proxy.trailingEmptyPage = true;
    proxy.throttleRate = 0.3;
    proxy.unansweredQueries.set(0);
    migrateAndCheckCounts(id, seeded, 120_000);
    assertTrue(proxy.throttled.get() > 10, "throttling was injected: " + proxy.throttled.get());
    assertTrue(proxy.maxInFlight.get() <= IN_FLIGHT_CAP, "in flight peaked at " + proxy.maxInFlight.get());
    System.out.println("edge faults: " + proxy.received.get() + " requests, " + proxy.throttled.get()
        + " throttled, peak in flight " + proxy.maxInFlight.get());
  }

  @Test
  void queriesLeftUnansweredAreRetriedAfterTheCallTimeOutAndCounted() {
    String id = "edge-2";
    SeedSummary seeded = svc.seed(Profile.SAMPLE.withThreads(6, 6).withMeanMessagesPerThread(3).withAttachmentRatio(0), 62,
        List.of(id));
    proxy.pageLimit = null;
    proxy.trailingEmptyPage = false;
    proxy.throttleRate = 0;
    proxy.unansweredQueries.set(2);
    double before = unanswered();
    migrateAndCheckCounts(id, seeded, 60_000);
    assertEquals(0, proxy.unansweredQueries.get(), "both silent Queries were injected");
    // at least: on a loaded machine a slow answer past the short time-out counts too
    assertTrue(unanswered() - before >= 2, "both silent attempts counted: " + (unanswered() - before));
  }

  /** Starts the account as Conversations does and checks that every good thread and message arrived, once. */
  static void migrateAndCheckCounts(String id, SeedSummary seeded, long timeoutMs) {
    svc.createAccount(id);
    assertEquals(202, svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id)).status());
    JsonObject account = svc.awaitStatus(id, "completed", timeoutMs);

    var s = seeded.account(id);
    assertEquals(s.goodThreads(), svc.count("select count(*) from threads where account_id = ?", id));
    assertEquals(s.goodMessages(), svc.count("select count(*) from messages where account_id = ?", id));
    assertTrue(account.getJsonObject("reconciliation").getJsonObject("messages").getBoolean("ok"), account.encode());
  }

  /** migrator_dynamodb_unanswered_total from GET /metrics. */
  static double unanswered() {
    var r = svc.http.get("/metrics", TestService.ADMIN);
    assertEquals(200, r.status(), r.body());
    Matcher m = Pattern.compile("^migrator_dynamodb_unanswered_total(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE).matcher(r.body());
    assertTrue(m.find(), "no migrator_dynamodb_unanswered_total in /metrics");
    return Double.parseDouble(m.group(2));
  }
}
