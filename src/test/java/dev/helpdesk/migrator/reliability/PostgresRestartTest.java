package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.migrator.support.Checksums;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * PostgreSQL stopped (fast) and crashed (SIGKILL, recovery on restart) while an account
 * migrates: the service answers again within 10 s of each restart and the account still ends
 * completed with exactly the source. {@code -Dmigrator.pgRestarts=N} sets how many (default 4).
 */
@ExtendWith(VertxExtension.class)
class PostgresRestartTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 40)
        // at least 150 Queries at 25/s: the run lasts seconds whatever the machine's speed, so the faults
        // land mid-run (unthrottled, a fast machine finished the account before the first one)
        .put("DYNAMODB_READ_RATE_TOTAL", 25)
        .put("PG_ACQUIRE_TIMEOUT_MS", 2000)
        .put("PG_QUERY_TIMEOUT_MS", 5000)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void restartsAndCrashesMidRunEndWithExactlyTheSource() {
    int restarts = Integer.getInteger("migrator.pgRestarts", 4);
    String id = "pgr-1";
    svc.seed(Profile.TYPICAL.withThreads(150, 150).withAttachmentRatio(0.05).withMaxAttachmentBytes(2048), 81, List.of(id));
    SourceSnapshot source = TestService.await(Future.fromCompletionStage(
        SourceSnapshot.read(TestService.dynalite().client(), svc.tables, id)));
    svc.createAccount(id);
    assertEquals(202, svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id)).status());

    long worstRecoveryMs = 0;
    int landed = 0;
    for (int i = 0; i < restarts; i++) {
      TestService.sleep(400);
      if (!"completed".equals(svc.migrationStatus(id))) landed++;
      if (i % 2 == 0) svc.pg.stopFast();
      else svc.pg.crash();
      TestService.sleep(300);
      svc.pg.restart();
      long restartedAt = System.currentTimeMillis();
      while (svc.http.get("/health/ready", null).status() != 200) {
        assertTrue(System.currentTimeMillis() - restartedAt < 10_000, "queries failing 10 s after restart " + i);
        TestService.sleep(50);
      }
      // readiness is one query; an account read goes through the accounts store's pool
      while (svc.http.get("/v1/accounts/" + id, TestService.ADMIN).status() != 200) {
        assertTrue(System.currentTimeMillis() - restartedAt < 10_000, "API failing 10 s after restart " + i);
        TestService.sleep(50);
      }
      worstRecoveryMs = Math.max(worstRecoveryMs, System.currentTimeMillis() - restartedAt);
    }
    JsonObject account = svc.awaitStatus(id, "completed", 180_000);
    System.out.println("postgres restarts: " + restarts + " (" + landed + " mid-run), worst recovery " + worstRecoveryMs + " ms");
    assertTrue(landed >= 2, "restarts landed mid-run: " + landed);

    assertEquals(source.threadCount(), svc.count("select count(*) from threads where account_id = ?", id));
    assertEquals(source.messageCount(), svc.count("select count(*) from messages where account_id = ?", id));
    assertEquals(Checksums.ofSource(source), Checksums.ofTarget(svc, id));
    assertTrue(account.getJsonObject("reconciliation").getJsonObject("messages").getBoolean("ok"), account.encode());
  }
}
