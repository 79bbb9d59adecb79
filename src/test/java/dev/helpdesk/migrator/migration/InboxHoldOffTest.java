package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * MIGRATION_INBOX_HOLD_MS=0 (README: An inbox first), the setting for an instance draining a fleet
 * nobody watches: the start requests and channels phases that would hold the reads do not, and
 * every account still arrives exact whichever way it was started.
 */
@ExtendWith(VertxExtension.class)
class InboxHoldOffTest {
  static TestService svc;
  static SeedSummary seeded;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_INBOX_HOLD_MS", 0)
        .put("MIGRATION_BATCH_SIZE", 40)).start();
    seeded = svc.seed(Profile.SAMPLE.withThreads(40, 40), 61, List.of("ih-app", "ih-conv", "ih-app-2"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void withTheHoldOffAccountsStartedByTheAppAndByConversationsAtOnceArriveExact() {
    List<String> ids = List.of("ih-app", "ih-conv", "ih-app-2");
    ids.forEach(svc::createAccount);
    // interleaved, so one account's start request arrives while another's message phases read
    Response app = svc.http.post("/v1/accounts/ih-app/start-migration", svc.mobileToken("ih-app"), "");
    assertEquals(202, app.status(), app.body());
    svc.startMigration("ih-conv", false);
    Response app2 = svc.http.post("/v1/accounts/ih-app-2/start-migration", svc.mobileToken("ih-app-2"), "");
    assertEquals(202, app2.status(), app2.body());

    for (String id : ids) {
      svc.awaitStatus(id, "completed", 60_000);
      SeedSummary.AccountSummary s = seeded.account(id);
      assertEquals(Parity.expected(svc, id, s), Parity.actual(svc, id), id);
      assertEquals(s.goodMessages(), svc.count("select count(*) from messages where account_id = ?", id), id);
      assertEquals(s.goodAttachments(),
          svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id), id);
      assertEquals(0, svc.count("select count(*) from dead_letters where account_id = ?", id), id);
    }
  }
}
