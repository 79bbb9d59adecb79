package dev.helpdesk.migrator.ops;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.Migrator;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GET /metrics on a service whose Vert.x instance is built as production builds it
 * ({@code Migrator.newVertx()}): the operators' token only, Vert.x's HTTP and pool meters, and the
 * service's own, whose counters move by exactly what a dirty account's run committed.
 */
class MetricsTest {
  static Vertx vertx;
  static TestService svc;

  @BeforeAll
  static void start() {
    vertx = Migrator.newVertx();
    svc = TestService.prepare(vertx).configure(c -> c.put("METRICS_REFRESH_MS", 200)
        .put("MIGRATION_MAX_FAILURE_RATIO", 0.9).put("MIGRATION_BATCH_SIZE", 50)).start();
    svc.seed(Profile.DIRTY, 71, List.of("mx-dirty"));
  }

  @AfterAll
  static void stop() {
    svc.close();
    TestService.await(vertx.close());
  }

  @Test
  void onlyTheOperatorsTokenReadsMetrics() {
    assertEquals(401, svc.http.get("/metrics", null).status());
    assertEquals("unauthorized", svc.http.get("/metrics", svc.mobileToken("mx-dirty")).error());
    assertEquals("unauthorized", svc.http.get("/metrics", TestService.CONVERSATIONS_CALLER).error());
    Response r = svc.http.get("/metrics", TestService.ADMIN);
    assertEquals(200, r.status());
    assertTrue(r.headers().get("content-type").get(0).startsWith("text/plain"), r.headers().toString());
  }

  @Test
  void aRunMovesTheCountersByWhatItCommittedAndTheGaugesFollowTheDatabase() {
    String before = scrape();
    String id = "mx-dirty";
    svc.createAccount(id);
    svc.startMigration(id, false);
    svc.awaitStatus(id, "completed", 60_000);

    TestService.sleep(600); // three refreshes of the database-derived gauges
    String after = scrape();
    for (String kind : List.of("thread", "message", "attachment")) {
      long dead = svc.count("select count(*) from dead_letters where account_id = ? and kind = ?", id, kind);
      assertEquals(dead, delta(before, after, "migrator_dead_letters_total", "kind", kind), kind + " dead letters\n" + after);
    }
    assertTrue(svc.count("select count(*) from dead_letters where account_id = ?", id) > 0, "the dirty profile plants bad records");
    assertEquals(svc.count("select count(*) from threads where account_id = ?", id),
        delta(before, after, "migrator_items_migrated_total", "kind", "thread"), after);
    assertEquals(svc.count("select count(*) from messages where account_id = ?", id),
        delta(before, after, "migrator_items_migrated_total", "kind", "message"), after);
    assertEquals(svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id),
        delta(before, after, "migrator_items_migrated_total", "kind", "attachment"), after);

    assertTrue(delta(before, after, "migrator_dynamodb_requests_total") > 0, after);
    assertTrue(delta(before, after, "migrator_dynamodb_items_total") > 0, after);
    assertTrue(value(after, "migrator_dynamodb_throttled_total") >= 0, after);
    for (String phase : List.of("channels", "recent", "older", "catch_up", "attachments", "reconcile")) {
      assertEquals(1, delta(before, after, "migrator_phase_duration_seconds_count", "phase", phase, "outcome", "success"),
          phase + "\n" + after);
    }
    assertEquals(1, value(after, "migrator_migrations", "status", "completed"), after);
    assertEquals(0, value(after, "migrator_migrations", "status", "migrating"), after);
    assertEquals(0, value(after, "migrator_jobs", "state", "waiting"), after);
    assertEquals(0, value(after, "migrator_jobs", "state", "leased"), after);
    assertTrue(value(after, "migrator_metrics_refresh_age_seconds") < 5, after);
    for (String breaker : List.of("conversations", "media")) {
      assertEquals(1, value(after, "migrator_breaker_state", "breaker", breaker, "state", "CLOSED"), after);
      assertEquals(0, value(after, "migrator_breaker_state", "breaker", breaker, "state", "OPEN"), after);
    }
    // Vert.x's own: the API's requests by route, the HTTP clients, the PostgreSQL pool, the JVM
    assertTrue(value(after, "vertx_http_server_requests_total", "route", "/v1/accounts/:accountId", "method", "GET",
        "code", "200") > 0, after);
    assertTrue(after.contains("vertx_http_client_"), after);
    assertTrue(after.contains("pool_type=\"sql\""), after);
    assertTrue(after.contains("jvm_memory_used_bytes"), after);
  }

  @Test
  void migrationsByStatusComeFromTheAccountsTable() {
    svc.createAccount("mx-new-1");
    svc.createAccount("mx-new-2");
    long notStarted = svc.count("select count(*) from accounts where migration_status = 'not_started'");
    TestService.sleep(600);
    assertEquals(notStarted, value(scrape(), "migrator_migrations", "status", "not_started"));
  }

  static String scrape() {
    Response r = svc.http.get("/metrics", TestService.ADMIN);
    assertEquals(200, r.status(), r.body());
    return r.body();
  }

  static long delta(String before, String after, String name, String... labels) {
    return Math.round(valueOr0(after, name, labels) - valueOr0(before, name, labels));
  }

  static double valueOr0(String text, String name, String... labels) {
    Double v = find(text, name, labels);
    return v == null ? 0 : v;
  }

  static double value(String text, String name, String... labels) {
    Double v = find(text, name, labels);
    if (v == null) fail("no series " + name + " " + List.of(labels) + " in\n" + text);
    return v;
  }

  /** The value of the series {@code name} whose labels include every given pair (summed over the other labels). */
  static Double find(String text, String name, String... labels) {
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(text);
    Double sum = null;
    while (m.find()) {
      String set = m.group(1) == null ? "" : m.group(1);
      boolean all = true;
      for (int i = 0; i < labels.length; i += 2) {
        all &= set.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
      }
      if (all) sum = (sum == null ? 0 : sum) + Double.parseDouble(m.group(2));
    }
    return sum;
  }
}
