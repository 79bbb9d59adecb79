package dev.helpdesk.migrator.ops;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.support.RepoRoot;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The operators' dashboard end to end: the page served without a credential under a strict CSP, the
 * overview only to operators, and a real browser (Debian's chromium driven by playwright-core,
 * src/test/browser/dashboard.mjs) signing in, reading the tiles, the running table and the breakers,
 * and clicking Retry on an account's dead letters; PostgreSQL then shows the letters resolved.
 *
 * <p>Three accounts: {@link #RETRY} completed with three attachment dead letters (the media service
 * answered 500 for them, and has recovered since), {@link #RUNNING} kept running for the whole test by
 * a DynamoDB read rate of a few pages a second, and {@link #DIRTY}, whose id and dead-letter reason are
 * markup, never to be rendered as such.
 */
@ExtendWith(VertxExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
  static final String RETRY = "dash-retry";
  static final String RUNNING = "dash-running";
  static final String DIRTY = "dash-<img src=x onerror=alert(1)>";
  static final String DIRTY_REASON = "<script>window.__pwned = 1</script> & \"bad\" <b>reason</b>";
  static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium"));
  static final long SCRIPT_TIMEOUT_S = 240;

  static TestService svc;
  static List<String> failedAttachments = new ArrayList<>();

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 40)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 200)
        .put("MEDIA_MAX_ATTEMPTS", 2)).start();
    svc.seed(Profile.SAMPLE, 61, List.of(RETRY));
    svc.seed(Profile.TYPICAL, 62, List.of(RUNNING));

    // the first run of RETRY completes with three attachments the media service failed
    SourceSnapshot snap = TestService.await(Future.fromCompletionStage(
        SourceSnapshot.read(TestService.dynalite().client(), svc.tables, RETRY)));
    for (Map<String, AttributeValue> t : snap.threads()) {
      for (Map<String, AttributeValue> m : snap.messages(t.get("threadId").s())) {
        AttributeValue list = m.get("attachments");
        if (list == null || !list.hasL()) continue;
        for (AttributeValue a : list.l()) {
          if (failedAttachments.size() < 3) failedAttachments.add(a.m().get("attachmentId").s());
        }
      }
    }
    assertEquals(3, failedAttachments.size(), "the SAMPLE profile has attachments");
    failedAttachments.forEach(a -> svc.simulator.faults().mediaStatus(a, 500));
    svc.createAccount(RETRY);
    svc.startMigration(RETRY, false);
    svc.awaitStatus(RETRY, "completed", 60_000);
    assertEquals(3, openLetters(RETRY));
    failedAttachments.forEach(a -> svc.simulator.faults().mediaStatus(a, 200));

    // the same service restarted with a slow source, so RUNNING is still running when the browser looks
    svc.stopService();
    svc.config.put("DYNAMODB_READ_RATE_TOTAL", 3);
    svc.start();
    svc.createAccount(RUNNING);
    svc.startMigration(RUNNING, false);

    svc.createAccount(DIRTY);
    svc.execute("insert into dead_letters (account_id, kind, source_key, reason) values (?, 'message', ?, ?)",
        DIRTY, new JsonObject().put("threadId", "t-<i>").put("messageId", "m-1").encode(), DIRTY_REASON);
  }

  @AfterAll
  static void stop() {
    if (svc != null) svc.close();
  }

  @Test
  @Order(1)
  void thePageNeedsNoCredentialButTheOverviewIsForOperatorsOnly() {
    Response page = svc.http.get("/dashboard/", null);
    assertEquals(200, page.status(), page.body());
    assertTrue(header(page, "content-type").startsWith("text/html"), page.headers().toString());
    String csp = header(page, "content-security-policy");
    assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe"), csp);
    assertEquals("nosniff", header(page, "x-content-type-options"));
    assertTrue(page.body().contains("/dashboard/dashboard.js"), "the page loads its script");
    assertFalse(page.body().contains("<script>"), "no inline script");
    for (String file : List.of("dashboard.js", "dashboard.css")) {
      Response r = svc.http.get("/dashboard/" + file, null);
      assertEquals(200, r.status(), file);
      assertFalse(header(r, "content-security-policy").isEmpty(), file);
    }
    Response bare = svc.http.get("/dashboard", null);
    assertEquals(302, bare.status(), bare.body());
    assertEquals("/dashboard/", header(bare, "location"));
    // what is not one of the page's files is an ordinary route: a credential first
    assertEquals(401, svc.http.get("/dashboard/missing.js", null).status());
    assertEquals(401, svc.http.get("/dashboard/../v1/ops/overview", null).status());

    assertEquals("unauthorized", svc.http.get("/v1/ops/overview", null).error());
    assertEquals("unauthorized", svc.http.get("/v1/ops/overview", TestService.CONVERSATIONS_CALLER).error());
    assertEquals("unauthorized", svc.http.get("/v1/ops/overview", svc.mobileToken(RETRY)).error());

    JsonObject o = svc.http.get("/v1/ops/overview", ADMIN).json();
    JsonObject statuses = o.getJsonObject("migrations");
    assertEquals(8, statuses.size(), statuses.encode());
    assertEquals(1L, statuses.getLong("completed"));
    assertEquals(1L, statuses.getLong("not_started"));
    assertEquals(0L, statuses.getLong("failed"));
    JsonObject letters = byAccount(o.getJsonObject("deadLetters").getJsonArray("items"));
    assertEquals(3L, letters.getJsonObject(RETRY).getLong("open"));
    assertEquals("completed", letters.getJsonObject(RETRY).getString("migrationStatus"));
    assertEquals(1L, letters.getJsonObject(DIRTY).getLong("open"));
    assertEquals(2L, o.getJsonObject("deadLetters").getLong("accounts"));
    assertEquals(List.of(RETRY, DIRTY).size(), letters.size());
    assertEquals("CLOSED", o.getJsonObject("breakers").getString("conversations"));
    assertEquals("CLOSED", o.getJsonObject("breakers").getString("media"));
    assertEquals("UP", o.getString("dynamodb"));
    // the instance stopped before the restart may still count as live for 3 heartbeats
    assertTrue(o.getJsonObject("instances").getLong("live") >= 1, o.encode());
    assertEquals("instance", o.getJsonObject("throughput").getString("scope"));

    // the running account, once its job is claimed: its lease owner is the job row's
    long deadline = System.currentTimeMillis() + 20_000;
    JsonObject running;
    do {
      TestService.sleep(300);
      running = byAccount(svc.http.get("/v1/ops/overview", ADMIN).json().getJsonObject("running").getJsonArray("items"))
          .getJsonObject(RUNNING);
    } while ((running == null || running.getJsonObject("job").getString("leaseOwner") == null)
        && System.currentTimeMillis() < deadline);
    assertNotNull(running, "the running account is listed");
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = ? and lease_owner = ?",
        RUNNING, running.getJsonObject("job").getString("leaseOwner")), running.encode());
    assertNotNull(running.getJsonObject("progress"), running.encode());
  }

  @Test
  @Order(2)
  void anOperatorRetriesDeadLettersFromTheBrowser() throws Exception {
    Path root = RepoRoot.find().orElseThrow();
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    if (!Files.isExecutable(CHROMIUM)) {
      String how = CHROMIUM + " is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)";
      if (ci) fail(how);
      Assumptions.abort(how);
    }
    assertTrue(Files.isRegularFile(root.resolve("node_modules/playwright-core/package.json")),
        "playwright-core is not installed: run `npm ci` in " + root);
    assertEquals(3, openLetters(RETRY), "the letters are open before the browser comes");

    Path target = root.resolve("target");
    boolean update = "1".equals(System.getenv("UPDATE_SCREENSHOT"));
    JsonObject cfg = new JsonObject()
        .put("baseUrl", svc.http.base())
        .put("token", ADMIN)
        .put("chromium", CHROMIUM.toString())
        .put("retryAccount", RETRY).put("retryOpen", 3)
        .put("runningAccount", RUNNING)
        .put("dirtyAccount", DIRTY).put("dirtyReason", DIRTY_REASON)
        .put("counts", new JsonObject().put("completed", 1).put("not_started", 1).put("failed", 0).put("paused", 0))
        .put("screenshot", target.resolve("dashboard.png").toString())
        .put("beforeScreenshot", target.resolve("dashboard-before-retry.png").toString())
        .put("committedScreenshot", update ? root.resolve("docs/dashboard.png").toString() : null);

    Path log = target.resolve("dashboard-browser.log");
    ProcessBuilder pb = new ProcessBuilder(System.getenv().getOrDefault("NODE_BINARY", "node"),
        root.resolve("src/test/browser/dashboard.mjs").toString())
        .directory(root.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("DASHBOARD_TEST", cfg.encode());
    Process p = pb.start();
    boolean ended = p.waitFor(SCRIPT_TIMEOUT_S, TimeUnit.SECONDS);
    if (!ended) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(ended, "the browser script did not end within " + SCRIPT_TIMEOUT_S + " s:\n" + output);
    assertEquals(0, p.exitValue(), "the browser script failed:\n" + output);
    assertTrue(Files.size(target.resolve("dashboard.png")) > 10_000, "a screenshot was saved");

    // the click really retried: every letter resolved, the attachments copied, the account still completed
    assertEquals(0, openLetters(RETRY));
    assertEquals(3, svc.count("select count(*) from dead_letters where account_id = ? and resolved_at is not null", RETRY));
    for (String a : failedAttachments) {
      assertEquals(1, svc.count("select count(*) from attachments where attachment_id = ? and state = 'copied'", a), a);
    }
    assertEquals("completed", svc.migrationStatus(RETRY));
    assertEquals(1, openLetters(DIRTY), "only the account clicked was retried");
  }

  private static long openLetters(String accountId) {
    return svc.count("select count(*) from dead_letters where account_id = ? and resolved_at is null", accountId);
  }

  private static JsonObject byAccount(JsonArray items) {
    JsonObject by = new JsonObject();
    for (Object o : items) by.put(((JsonObject) o).getString("accountId"), o);
    return by;
  }

  private static String header(Response r, String name) {
    List<String> values = r.headers().get(name);
    return values == null || values.isEmpty() ? "" : values.get(0);
  }
}
