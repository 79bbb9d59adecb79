package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Past MIGRATION_MAX_FAILURES a run stops as failed, its dead letters and progress kept. */
@ExtendWith(VertxExtension.class)
class FailureThresholdTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c.put("MIGRATION_MAX_FAILURES", 2).put("MIGRATION_BATCH_SIZE", 30)).start();
    svc.seed(Profile.DIRTY, 61, List.of("ft-dirty"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aDirtyAccountPastTheThresholdFailsWithTheReason() {
    String id = "ft-dirty";
    svc.createAccount(id);
    svc.startMigration(id, false);
    JsonObject account = svc.awaitStatus(id, "failed", 30_000);
    assertTrue(account.getString("failureReason").startsWith("failure_threshold: "), account.encode());
    assertTrue(svc.count("select count(*) from dead_letters where account_id = ?", id) > 2);
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = ? and state = 'failed'", id));
    assertNull(account.getJsonObject("reconciliation"));
    assertTrue(account.getJsonObject("progress").getLong("deadLetters") > 2, account.encode());
  }
}
