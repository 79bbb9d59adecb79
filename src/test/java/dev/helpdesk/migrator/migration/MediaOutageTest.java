package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.migrator.support.TestService;
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

import static org.junit.jupiter.api.Assertions.*;

/**
 * A media outage: the copies that fail before the breaker opens are dead letters (retried, then
 * given up, as CONTRACT §2.3 says), the rest wait for the breaker instead of failing with it,
 * and the account completes.
 */
@ExtendWith(VertxExtension.class)
class MediaOutageTest {
  static TestService svc;
  static SeedSummary seeded;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c.put("MEDIA_CONCURRENCY", 2).put("MEDIA_MAX_ATTEMPTS", 2)).start();
    seeded = svc.seed(Profile.SAMPLE.withThreads(4, 4).withAttachmentRatio(0.6).withMaxAttachmentBytes(1000), 91,
        List.of("mo-a"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void copiesWaitOutAnOpenBreakerAndTheAccountCompletes() {
    String id = "mo-a";
    List<String> attachmentIds = new ArrayList<>();
    SourceSnapshot snap = Parity.snapshot(id);
    snap.messagesByThread().values().forEach(ms -> ms.forEach(m -> {
      AttributeValue list = m.get("attachments");
      if (list != null && list.hasL()) list.l().forEach(a -> attachmentIds.add(a.m().get("attachmentId").s()));
    }));
    assertTrue(attachmentIds.size() > 8, "too few attachments: " + attachmentIds.size());
    attachmentIds.forEach(a -> svc.simulator.faults().mediaStatus(a, 503));

    svc.createAccount(id);
    svc.startMigration(id, false);
    long deadline = System.currentTimeMillis() + 20_000;
    while (svc.count("select count(*) from dead_letters where account_id = ?", id) == 0 && System.currentTimeMillis() < deadline) {
      TestService.sleep(50);
    }
    TestService.sleep(1000);
    attachmentIds.forEach(a -> svc.simulator.faults().mediaStatus(a, 200));

    JsonObject account = svc.awaitStatus(id, "completed", 45_000);
    long copied = svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id);
    long dead = svc.count("select count(*) from dead_letters where account_id = ? and kind = 'attachment'", id);
    assertEquals(attachmentIds.size(), copied + dead);
    assertTrue(dead >= 1 && dead <= 5, "dead letters: " + dead);
    assertTrue(account.getJsonObject("reconciliation").getJsonObject("attachments").getBoolean("ok"));
    assertEquals(seeded.account(id).goodMessages(), svc.count("select count(*) from messages where account_id = ?", id));
  }
}
