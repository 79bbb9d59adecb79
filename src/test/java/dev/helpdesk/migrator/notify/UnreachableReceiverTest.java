package dev.helpdesk.migrator.notify;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ServerSocket;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A receiver that accepts and never answers, or one that is not there at all, costs the notifier
 * its time-outs and retries and the migrations nothing: accounts fail and complete on time while
 * their notifications hang or are given up.
 */
@ExtendWith(VertxExtension.class)
class UnreachableReceiverTest {
  /** An account Conversations does not know fails in seconds; a migration waiting on the post would take 45 s more. */
  static final long HOLD_MS = 45_000;
  static final long ON_TIME_MS = 10_000;

  @Test
  void aBlackHoleReceiverHoldsItsPostsWhileAccountsFailAndCompleteOnTime(Vertx vertx) {
    Receiver hole = Receiver.start(vertx).blackHole(true);
    TestService svc = TestService.prepare(vertx).configure(c -> c
        .put("NOTIFY_WEBHOOK_URL", hole.url())
        .put("NOTIFY_POLL_MS", 200)
        .put("NOTIFY_TIMEOUT_MS", HOLD_MS)
        .put("NOTIFY_MAX_ATTEMPTS", 2)
        .put("NOTIFY_DEAD_LETTER_WARN", 1)
        .put("MIGRATION_MAX_FAILURE_RATIO", 0.9)).start();
    try {
      svc.seed(Profile.DIRTY.withThreads(10, 10), 311, List.of("bh-dirty"));
      long first = failAndTime(svc, "bh-fail-1");
      hole.await("bh-fail-1", "migration_failed", 1, 5_000);

      // the first post hangs; a second failure and a whole run go on regardless
      long second = failAndTime(svc, "bh-fail-2");
      svc.createAccount("bh-dirty");
      long t0 = System.currentTimeMillis();
      svc.startMigration("bh-dirty", false);
      svc.awaitStatus("bh-dirty", "completed", 60_000);
      long completed = System.currentTimeMillis() - t0;
      System.out.println("black-hole receiver: failed after " + first + " ms and " + second + " ms, completed after "
          + completed + " ms");
      assertTrue(first < ON_TIME_MS && second < ON_TIME_MS, first + " ms, " + second + " ms");
      hole.await("bh-fail-2", "migration_failed", 1, 5_000);
      hole.await("bh-dirty", "dead_letters", 1, 5_000);
      // every post still hangs in its first attempt (the time-out is 45 s): nothing above waited for one
      assertEquals(0, svc.count("select count(*) from notifications where state <> 'pending' or attempts <> 1"));
      assertEquals(3, svc.count("select count(*) from notifications where lease_owner is not null"));
    } finally {
      svc.close();
      hole.close();
    }
  }

  @Test
  void aReceiverThatIsDownGetsItsAttemptsAndIsGivenUpWhileTheAccountFailsOnTime(Vertx vertx) throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    TestService svc = TestService.prepare(vertx).configure(c -> c
        .put("NOTIFY_WEBHOOK_URL", "http://127.0.0.1:" + closedPort + Receiver.SECRET_PATH)
        .put("NOTIFY_POLL_MS", 200)
        .put("NOTIFY_BACKOFF_BASE_MS", 100)
        .put("NOTIFY_BACKOFF_MAX_MS", 300)
        .put("NOTIFY_MAX_ATTEMPTS", 3)).start();
    try {
      long failedAfter = failAndTime(svc, "down-fail");
      assertTrue(failedAfter < ON_TIME_MS, failedAfter + " ms");
      long deadline = System.currentTimeMillis() + 10_000;
      while (svc.count("select count(*) from notifications where state = 'given_up'") == 0
          && System.currentTimeMillis() < deadline) {
        TestService.sleep(100);
      }
      assertEquals(1, svc.count("select count(*) from notifications where account_id = 'down-fail' and state = 'given_up' and attempts = 3"));
      // the error is kept for the operator, without the hook's secret path
      assertEquals(1, svc.count("select count(*) from notifications where last_error is not null and last_error not like '%SCAN%'"));
    } finally {
      svc.close();
    }
  }

  private static long failAndTime(TestService svc, String id) {
    svc.simulator.faults().addUnknownAccount(id);
    svc.createAccount(id);
    long t0 = System.currentTimeMillis();
    svc.startMigration(id, false);
    svc.awaitStatus(id, "failed", 30_000);
    return System.currentTimeMillis() - t0;
  }
}
