package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
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
 * MIGRATION_ACCOUNTS_PARALLEL bounds the accounts in their message phases, not the claims: a
 * newly started account still gets its channels (and the app its inbox) at once.
 */
@ExtendWith(VertxExtension.class)
class AccountSlotsTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_ACCOUNTS_PARALLEL", 1)
        .put("MEDIA_CONCURRENCY", 1)).start();
    Profile p = Profile.SAMPLE.withThreads(6, 6).withAttachmentRatio(0.4).withMaxAttachmentBytes(2000);
    svc.seed(p, 81, List.of("as-busy", "as-new"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aNewAccountGetsItsChannelsWhileTheOnlySlotIsBusy() {
    svc.createAccount("as-busy");
    svc.createAccount("as-new");
    // every attachment copy of the busy account takes a while, so it keeps the slot
    svc.simulator.faults().mediaLatencyMs(300);
    svc.startMigration("as-busy", false);
    svc.awaitStatus("as-busy", "recent_messages_only", 15_000);

    svc.startMigration("as-new", false);
    svc.awaitStatus("as-new", "channels_only", 5_000);
    assertEquals("recent_messages_only", svc.migrationStatus("as-busy"), "the busy account should still hold the slot");
    // and it waits there for the slot
    TestService.sleep(500);
    assertEquals("channels_only", svc.migrationStatus("as-new"));

    svc.simulator.faults().mediaLatencyMs(0);
    svc.awaitStatus("as-busy", "completed", 30_000);
    svc.awaitStatus("as-new", "completed", 30_000);
  }
}
