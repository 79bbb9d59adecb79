package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * MIGRATION_ACCOUNTS_PARALLEL bounds each lane (channels, recent, older, attachments), not the
 * accounts as a whole: what a customer waits for is never queued behind another account's bulk.
 * Here it is 1, and every attachment copy is slow, so the account copying attachments would hold
 * a single account-wide slot for long.
 */
@ExtendWith(VertxExtension.class)
class LanesTest {
  TestService svc;

  @BeforeEach
  void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_ACCOUNTS_PARALLEL", 1)
        .put("MEDIA_CONCURRENCY", 1)
        .put("MIGRATION_SWEEP_MS", 500)).start();
  }

  @AfterEach
  void stop() {
    svc.close();
  }

  @Test
  void aNewAccountGetsItsRecentMessagesWhileAnotherCopiesAttachmentsAndWaitsInTheQueueForTheAttachmentsLane() {
    Profile p = Profile.SAMPLE.withThreads(6, 6).withAttachmentRatio(0.4).withMaxAttachmentBytes(2000);
    svc.seed(p, 81, List.of("as-busy", "as-new"));
    svc.createAccount("as-busy");
    svc.createAccount("as-new");
    svc.simulator.faults().mediaLatencyMs(300);
    svc.startMigration("as-busy", false);
    awaitJobPhase("as-busy", "attachments", 20_000);

    svc.startMigration("as-new", false);
    svc.awaitStatus("as-new", "recent_messages_only", 15_000);
    // its older messages go in too; its attachments wait, the job back in the queue, not held here
    awaitJobPhase("as-new", "attachments", 15_000);
    assertEquals("queued", jobColumn("as-new", "state"), "the job waits in the queue for the attachments lane");
    assertEquals("running", jobColumn("as-busy", "state"));
    assertEquals("attachments", jobColumn("as-busy", "phase"), "the busy account still copies attachments");

    svc.simulator.faults().mediaLatencyMs(0);
    svc.awaitStatus("as-busy", "completed", 30_000);
    svc.awaitStatus("as-new", "completed", 30_000);
    assertEquals(0, svc.count("select count(*) from attachments where account_id in ('as-busy', 'as-new') and state = 'pending'"));
  }

  @Test
  void accountsStartedTogetherAllGetTheirChannelsWhileTheirMessagesTakeTurns() {
    Profile p = Profile.SAMPLE.withThreads(6, 6).withAttachmentRatio(0.4).withMaxAttachmentBytes(2000);
    List<String> ids = IntStream.range(0, 6).mapToObj(i -> "together-" + i).toList();
    svc.seed(p, 82, ids);
    ids.forEach(svc::createAccount);
    svc.simulator.faults().mediaLatencyMs(300);
    ids.forEach(id -> svc.startMigration(id, false));

    // a single account-wide slot would let one account in at a time: here every one gets its inbox
    // while the first is still far from done (six attachments lanes' worth of slow copies)
    Set<String> past = Set.of("channels_only", "recent_messages_only", "completed");
    long deadline = System.currentTimeMillis() + 15_000;
    List<String> waiting = new ArrayList<>(ids);
    while (!waiting.isEmpty()) {
      assertTrue(System.currentTimeMillis() < deadline, "still migrating after 15 s: " + waiting);
      waiting.removeIf(id -> past.contains(svc.migrationStatus(id)));
      TestService.sleep(100);
    }
    assertTrue(ids.stream().noneMatch(id -> "completed".equals(svc.migrationStatus(id))), "no account could be completed yet");

    svc.simulator.faults().mediaLatencyMs(0);
    ids.forEach(id -> svc.awaitStatus(id, "completed", 60_000));
    assertEquals(6, svc.count("select count(distinct account_id) from migration_jobs where account_id like 'together-%' and state = 'done'"));
  }

  @Test
  void whileAccountsWaitForTheirRecentMessagesNoAccountStartsItsOlderOnes() {
    Profile p = Profile.SAMPLE.withThreads(30, 30).withAttachmentRatio(0.0);
    List<String> ids = IntStream.range(0, 4).mapToObj(i -> "first-" + i).toList();
    svc.seed(p, 83, ids);
    ids.forEach(svc::createAccount);
    // reads slowed so that the first account's recent messages take longer than starting the others:
    // an account that has not asked yet cannot be waited for
    svc.stopService();
    svc.configure(c -> c.put("DYNAMODB_READ_RATE_TOTAL", 10)).start();
    ids.forEach(id -> svc.startMigration(id, false));

    long deadline = System.currentTimeMillis() + 60_000;
    int samples = 0;
    while (ids.stream().anyMatch(id -> !"completed".equals(svc.migrationStatus(id)))) {
      assertTrue(System.currentTimeMillis() < deadline, "not all completed within 60 s");
      // what users see, from one statement (one snapshot): accounts still without their recent messages, and
      // accounts that have older threads (lastMessageAt before their run's cutoff) written, which only older
      // work writes. A job's phase column is no proof: it names the next phase a moment before a hand-back.
      String[] snapshot = svc.text("""
          select coalesce((select string_agg(account_id, ',' order by account_id) from accounts
                           where account_id like 'first-%' and migration_status in ('migrating', 'channels_only')), '')
            || '|' || coalesce((select string_agg(distinct t.account_id, ',' order by t.account_id)
                           from threads t join migration_jobs j on j.account_id = t.account_id
                           where t.account_id like 'first-%' and t.last_message_at < j.recent_cutoff), '')""").split("\\|", -1);
      List<String> waiting = snapshot[0].isEmpty() ? List.of() : List.of(snapshot[0].split(","));
      List<String> inBulk = snapshot[1].isEmpty() ? List.of() : List.of(snapshot[1].split(","));
      // an account counts as waiting until its recent messages are in: none may be past them meanwhile
      if (!waiting.isEmpty()) {
        assertEquals(List.of(), inBulk, "older messages were written while " + waiting + " still waited for their recent messages");
        samples++;
      }
      TestService.sleep(30);
    }
    assertTrue(samples > 0, "the test never saw an account waiting: it checked nothing");
  }

  private void awaitJobPhase(String accountId, String phase, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!phase.equals(jobColumn(accountId, "phase"))) {
      assertTrue(System.currentTimeMillis() < deadline, accountId + " did not reach phase " + phase + "; it is at " + jobColumn(accountId, "phase"));
      TestService.sleep(50);
    }
  }

  private String jobColumn(String accountId, String column) {
    return svc.text("select " + column + " from migration_jobs where account_id = ?", accountId);
  }
}
