package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.migrator.support.Checksums;
import dev.helpdesk.migrator.support.Http;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.ArrayList;
import java.util.List;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A fault that does not go away: the media service answers 500 for every attachment of an account.
 * Past MIGRATION_MAX_FAILURES the run must stop as {@code failed} with the reason, within two
 * minutes, rather than grind on; once the media service is fixed, an operator's dead-letter retry
 * (CONTRACT §3.3: on a failed account, by resuming the run) completes it with exactly the source.
 */
@ExtendWith(VertxExtension.class)
class PersistentFaultTest {
  private static final int MAX_FAILURES = 3;
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_MAX_FAILURES", MAX_FAILURES)
        .put("MEDIA_CONCURRENCY", 4)
        .put("MEDIA_MAX_ATTEMPTS", 2)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  /**
   * One test for both halves: the failure within two minutes (about a minute waiting out the open
   * media breaker) is measured before the retry, so the suite pays that minute once.
   */
  @Test
  void aMediaHostFailingForEveryAttachmentFailsTheRunWithinTwoMinutesAndARetryAfterTheFixCompletesIt() {
    String id = "persist-1";
    List<String> attachmentIds = seedWithFailingMedia(id);
    SourceSnapshot source = TestService.await(Future.fromCompletionStage(
        SourceSnapshot.read(TestService.dynalite().client(), svc.tables, id)));

    svc.createAccount(id);
    long t0 = System.currentTimeMillis();
    svc.startMigration(id, false);
    JsonObject failed = svc.awaitStatus(id, "failed", 120_000);
    long failedAfter = System.currentTimeMillis() - t0;
    String reason = failed.getString("failureReason");
    assertTrue(reason.startsWith("failure_threshold: "), failed.encode());
    long letters = svc.count("select count(*) from dead_letters where account_id = ? and resolved_at is null", id);
    assertTrue(letters > MAX_FAILURES, "open dead letters: " + letters);
    assertNull(failed.getJsonObject("reconciliation"));

    // the media service is fixed; the operator retries the dead letters, which resumes the run
    attachmentIds.forEach(a -> svc.simulator.faults().mediaStatus(a, 200));
    long t1 = System.currentTimeMillis();
    Http.Response retry = svc.http.post("/v1/accounts/" + id + "/dead-letters/retry", ADMIN, "");
    assertEquals(202, retry.status(), retry.body());
    JsonObject done = svc.awaitStatus(id, "completed", 120_000);
    long completedAfter = System.currentTimeMillis() - t1;
    System.out.println("persistent fault: failed after " + failedAfter + " ms with '" + reason + "' (" + letters
        + " open dead letters); completed " + completedAfter + " ms after the retry");

    assertEquals(source.threadCount(), svc.count("select count(*) from threads where account_id = ?", id));
    assertEquals(source.messageCount(), svc.count("select count(*) from messages where account_id = ?", id));
    assertEquals(Checksums.ofSource(source), Checksums.ofTarget(svc, id));
    assertEquals(attachmentIds.size(), svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id));
    assertEquals(0, svc.count("select count(*) from dead_letters where account_id = ? and resolved_at is null", id));
    JsonObject recon = done.getJsonObject("reconciliation");
    for (String kind : List.of("threads", "messages", "attachments")) {
      assertTrue(recon.getJsonObject(kind).getBoolean("ok"), kind + ": " + recon.encode());
    }
    assertEquals(0, recon.getJsonObject("attachments").getInteger("deadLetters"), recon.encode());
    attachmentIds.forEach(a -> svc.simulator.faults().mediaStatus(a, 200));
  }

  /** An account with attachments, and the media service answering 500 for every one of them. */
  private static List<String> seedWithFailingMedia(String id) {
    svc.seed(Profile.SAMPLE.withThreads(4, 4).withAttachmentRatio(0.8).withMaxAttachmentBytes(1000), 99, List.of(id));
    SourceSnapshot source = TestService.await(Future.fromCompletionStage(
        SourceSnapshot.read(TestService.dynalite().client(), svc.tables, id)));
    List<String> attachmentIds = new ArrayList<>();
    source.messagesByThread().values().forEach(ms -> ms.forEach(m -> {
      AttributeValue list = m.get("attachments");
      if (list != null && list.hasL()) list.l().forEach(a -> attachmentIds.add(a.m().get("attachmentId").s()));
    }));
    assertTrue(attachmentIds.size() > 3 * MAX_FAILURES, "attachments: " + attachmentIds.size());
    attachmentIds.forEach(a -> svc.simulator.faults().mediaStatus(a, 500));
    return attachmentIds;
  }
}
