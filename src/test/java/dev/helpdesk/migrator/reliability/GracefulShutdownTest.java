package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.migrator.support.ServiceProcess;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.regex.Pattern;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * SIGTERM mid-migration (issue 6, graceful shutdown): the instance exits by itself within
 * SHUTDOWN_TIMEOUT_MS with the JVM's SIGTERM status, its job is back in the queue with no lease,
 * a second instance resumes it at once (long before the 30 s lease would have expired) and the
 * account ends exact.
 */
@ExtendWith(VertxExtension.class)
class GracefulShutdownTest {
  private static final Pattern CLAIM = Pattern.compile("account (\\S+) job \\d+: running from phase");
  private static final long LEASE_TTL_MS = 30_000;
  private static final long SHUTDOWN_TIMEOUT_MS = 10_000;
  static TestService env;

  @BeforeAll
  static void start(Vertx vertx) {
    // neighbours only: the instances under test are child JVMs started like production (Main)
    env = TestService.prepare(vertx).configure(c -> c
        .put("CONFIG_FILE", "conf/config.json")
        .put("MIGRATION_BATCH_SIZE", 50)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 100)
        .put("MIGRATION_LEASE_TTL_MS", LEASE_TTL_MS)
        .put("MIGRATION_HEARTBEAT_MS", 5_000)
        .put("SHUTDOWN_TIMEOUT_MS", SHUTDOWN_TIMEOUT_MS)
        // about 25 Query pages a second between the two instances: the run lasts long enough to be cut
        .put("DYNAMODB_READ_RATE_TOTAL", 50));
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  @Test
  void sigtermMidRunHandsTheJobBackAtOnceAndExitsInTime() {
    String id = "gs-term";
    SeedSummary seeded = env.seed(Profile.TYPICAL.withThreads(150, 150).withAttachmentRatio(0.0), 81, List.of(id));
    try (ServiceProcess a = ServiceProcess.start("gs-a", env.config); ServiceProcess b = ServiceProcess.start("gs-b", env.config)) {
      a.http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id).put("name", id));
      assertEquals(202, a.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id)).status());
      awaitMessages(id, 1, 60_000);
      // this account's claim: the other test leaves its job queued in the same database, and either instance may take it
      ServiceProcess owner = claimed(a, id) ? a : b;
      ServiceProcess heir = owner == a ? b : a;
      assertTrue(claimed(owner, id), "someone claimed the job");

      long termAt = System.currentTimeMillis();
      owner.terminate();
      Integer code = owner.awaitExit(SHUTDOWN_TIMEOUT_MS + 10_000);
      long exitMs = System.currentTimeMillis() - termAt;
      assertNotNull(code, "still running " + exitMs + " ms after SIGTERM:\n" + owner.log());
      System.out.println("SIGTERM: exit " + code + " after " + exitMs + " ms");
      assertEquals(143, code, "the JVM's status after SIGTERM with its hooks done\n" + owner.log());
      // the hook's own bound, plus the JVM's teardown
      assertTrue(exitMs <= SHUTDOWN_TIMEOUT_MS + 2_000, "exited " + exitMs + " ms after SIGTERM");
      String ownerLog = owner.log();
      assertTrue(ownerLog.contains("shutting down: handing jobs back"), ownerLog);
      assertTrue(Pattern.compile("shut down in \\d+ ms").matcher(ownerLog).find(), "pools closed within the time-out:\n" + ownerLog);
      assertNotEquals(1L, env.count("select count(*) from accounts where account_id = ? and migration_status = 'completed'", id),
          "the SIGTERM landed mid-run");

      // handed back: queued without a lease (unless the heir took it already: then it is its lease)
      long heirClaim = awaitClaim(heir, id, 10_000);
      long handOver = heirClaim - termAt;
      System.out.println("hand-over after SIGTERM: " + handOver + " ms (lease TTL " + LEASE_TTL_MS + " ms)");
      assertTrue(handOver < 5_000, "the heir took the job " + handOver + " ms after SIGTERM; a lease left to expire takes "
          + LEASE_TTL_MS + " ms");

      awaitCompleted(id, 120_000);
      JsonObject account = heir.http.get("/v1/accounts/" + id, ADMIN).json();
      JsonObject rec = account.getJsonObject("reconciliation");
      for (String kind : List.of("threads", "messages", "attachments")) {
        assertTrue(rec.getJsonObject(kind).getBoolean("ok"), kind + " " + rec.encode());
      }
    }
    var s = seeded.account(id);
    assertEquals(s.goodMessages(), env.count("select count(*) from messages where account_id = ?", id));
    assertEquals(s.goodThreads(), env.count("select count(*) from threads where account_id = ?", id));
    assertEquals(env.count("select count(*) from messages where account_id = ?", id),
        env.count("select coalesce(sum(message_count), 0) from threads where account_id = ?", id));
    assertEquals(0, env.count("select count(*) from dead_letters where account_id = ?", id));
    assertEquals(1, env.count("select count(*) from migration_jobs where account_id = ? and state = 'done' and attempts = 2", id),
        "one job, claimed twice: by the instance that was stopped and by its heir");
  }

  @Test
  void aStoppedInstanceLeavesItsJobQueuedWithoutALease() {
    String id = "gs-queued";
    env.seed(Profile.TYPICAL.withThreads(150, 150).withAttachmentRatio(0.0), 82, List.of(id));
    try (ServiceProcess a = ServiceProcess.start("gs-only", env.config)) {
      a.http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id).put("name", id));
      assertEquals(202, a.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id)).status());
      awaitMessages(id, 1, 60_000);
      a.terminate();
      assertEquals(143, a.awaitExit(SHUTDOWN_TIMEOUT_MS + 10_000), a.log());
    }
    assertEquals(1, env.count("select count(*) from migration_jobs where account_id = ? and state = 'queued'"
        + " and lease_owner is null and lease_until is null", id), "the job is back in the queue, unleased");
    assertNotEquals(1L, env.count("select count(*) from accounts where account_id = ? and migration_status = 'completed'", id));
    long committed = env.count("select count(*) from messages where account_id = ?", id);
    assertTrue(committed > 0, "what was committed before SIGTERM stays");
    // nothing of the stopped instance is left connected (its pools were closed; the OS would close them too)
    long deadline = System.currentTimeMillis() + 2_000;
    long left;
    do {
      left = env.count("select count(*) from pg_stat_activity where datname = ? and application_name <> 'PostgreSQL JDBC Driver'"
          + " and pid <> pg_backend_pid() and backend_type = 'client backend'", env.database);
      if (left > 0) TestService.sleep(100);
    } while (left > 0 && System.currentTimeMillis() < deadline);
    assertEquals(0, left);
  }

  private static boolean claimed(ServiceProcess p, String id) {
    var m = CLAIM.matcher(p.log());
    while (m.find()) if (m.group(1).equals(id)) return true;
    return false;
  }

  private static long awaitClaim(ServiceProcess heir, String id, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      for (String line : heir.log().split("\n")) {
        var m = CLAIM.matcher(line);
        if (m.find() && m.group(1).equals(id)) {
          LocalTime t = LocalTime.parse(line.substring(0, 12));
          return LocalDate.now(ZoneId.systemDefault()).atTime(t).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
        }
      }
      TestService.sleep(100);
    }
    throw new AssertionError("the heir did not claim " + id + " within " + timeoutMs + " ms:\n" + heir.log());
  }

  private static void awaitCompleted(String id, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (env.count("select count(*) from accounts where account_id = ? and migration_status = 'completed'", id) == 1) return;
      TestService.sleep(200);
    }
    fail(id + " not completed in " + timeoutMs + " ms");
  }

  private static void awaitMessages(String id, long atLeast, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (env.count("select count(*) from messages where account_id = ?", id) >= atLeast) return;
      TestService.sleep(50);
    }
    fail(id + ": no message committed in " + timeoutMs + " ms");
  }
}
