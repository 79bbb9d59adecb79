package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The service stops in the middle of the message phases and again while attachments are being
 * copied; each time the next start resumes from the checkpoint and the result is still exact,
 * down to the reconciliation counts.
 */
@ExtendWith(VertxExtension.class)
class StopResumeTest {
  static TestService svc;
  static SeedSummary seeded;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 10)
        .put("MIGRATION_THREAD_CONCURRENCY", 1)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 20)
        .put("MEDIA_CONCURRENCY", 2)).start();
    seeded = svc.seed(Profile.SAMPLE.withThreads(120, 120).withAttachmentRatio(0.1), 71, List.of("sr-a", "sr-pause"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aStoppedServiceFinishesTheRunExactlyAfterItsRestart() {
    String id = "sr-a";
    SeedSummary.AccountSummary s = seeded.account(id);
    svc.createAccount(id);
    try (StatusPoller poller = new StatusPoller(svc, id)) {
      svc.startMigration(id, false);
      JsonObject during = awaitProgress(id, p -> p.getLong("messagesMigrated", 0L) > 100);
      assertNotEquals("completed", during.getString("migrationStatus"), "the run ended before the stop");
      svc.stopService();
      svc.start();

      svc.simulator.faults().mediaLatencyMs(150);
      awaitProgress(id, p -> p.getLong("attachmentsMigrated", 0L) > 2);
      svc.stopService();
      svc.simulator.faults().mediaLatencyMs(0);
      svc.start();

      JsonObject account = svc.awaitStatus(id, "completed", 40_000);
      assertTrue(poller.monotonic(), "statuses seen: " + poller.seen());
      assertEquals(List.of(), poller.progressProblems());
      assertEquals(Parity.expected(svc, id, s), Parity.actual(svc, id));
      JsonObject recon = account.getJsonObject("reconciliation");
      assertEquals(s.goodThreads(), recon.getJsonObject("threads").getLong("itemsRead"), recon.encode());
      assertEquals(s.goodMessages(), recon.getJsonObject("messages").getLong("itemsRead"), recon.encode());
      assertEquals(s.goodMessages(), recon.getJsonObject("messages").getLong("rowsWritten"), recon.encode());
      assertEquals(s.goodAttachments(), recon.getJsonObject("attachments").getLong("rowsWritten"), recon.encode());
      assertEquals(s.goodMessages(), account.getJsonObject("progress").getLong("messagesMigrated"));
    }
  }

  @Test
  void aPausedAccountsRunWaitsAtItsCheckpointAndFinishesExactlyOnceItRunsAgain() {
    String id = "sr-pause";
    SeedSummary.AccountSummary s = seeded.account(id);
    svc.createAccount(id);
    svc.startMigration(id, false);
    JsonObject during = awaitProgress(id, p -> p.getLong("messagesMigrated", 0L) > 100);
    String from = during.getString("migrationStatus");
    assertNotEquals("completed", from, "the run ended before the pause");
    // what an operator's pause does to the account
    assertEquals(1, svc.execute("update accounts set paused_from = migration_status, migration_status = 'paused' "
        + "where account_id = ? and migration_status = ?", id, from));
    TestService.sleep(1500);
    long messages = svc.count("select count(*) from messages where account_id = ?", id);
    TestService.sleep(1000);
    assertEquals("paused", svc.migrationStatus(id));
    assertEquals(messages, svc.count("select count(*) from messages where account_id = ?", id), "the run went on while paused");

    assertEquals(1, svc.execute("update accounts set migration_status = paused_from, paused_from = null "
        + "where account_id = ?", id));
    JsonObject account = svc.awaitStatus(id, "completed", 40_000);
    assertEquals(Parity.expected(svc, id, s), Parity.actual(svc, id));
    JsonObject recon = account.getJsonObject("reconciliation");
    assertEquals(s.goodMessages(), recon.getJsonObject("messages").getLong("itemsRead"), recon.encode());
    assertEquals(s.goodAttachments(), recon.getJsonObject("attachments").getLong("rowsWritten"), recon.encode());
  }

  private static JsonObject awaitProgress(String id, Predicate<JsonObject> until) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      JsonObject account = svc.http.get("/v1/accounts/" + id, TestService.ADMIN).json();
      JsonObject progress = account.getJsonObject("progress");
      if (progress != null && until.test(progress)) return account;
      TestService.sleep(10);
    }
    throw new AssertionError("progress never got there");
  }
}
