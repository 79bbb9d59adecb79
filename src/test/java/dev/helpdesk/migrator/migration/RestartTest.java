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

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

@ExtendWith(VertxExtension.class)
class RestartTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).start();
    svc.seed(Profile.SAMPLE.withThreads(1, 1), 31, List.of("rs-a"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aJobAcceptedBeforeARestartRunsAfterIt() {
    svc.createAccount("rs-a");
    // Conversations is down while the first instance lives: the job is accepted but cannot progress.
    svc.simulator.faults().outage(true);
    assertEquals(202, svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", "rs-a")).status());
    TestService.sleep(500);
    svc.stopService();
    assertEquals("migrating", svc.http == null ? null : statusInDatabase());

    svc.simulator.faults().outage(false);
    svc.start();
    // the message phases follow the channels at once, so the run goes on to completion
    svc.awaitStatus("rs-a", "completed", 20_000);
    assertEquals(1, svc.count("select count(*) from migration_jobs where account_id = 'rs-a'"));
  }

  private static String statusInDatabase() {
    return svc.count("select count(*) from accounts where account_id = 'rs-a' and migration_status = 'migrating'") == 1
        ? "migrating" : "other";
  }
}
