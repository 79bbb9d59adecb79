package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
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
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A message Conversations writes while the run is past the thread it belongs to: the catch-up
 * pass copies it (CONTRACT §1, cut-over), counted once.
 */
@ExtendWith(VertxExtension.class)
class CatchUpTest {
  static TestService svc;
  static SeedSummary seeded;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 10)
        .put("MIGRATION_THREAD_CONCURRENCY", 2)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 20)).start();
    seeded = svc.seed(Profile.SAMPLE.withThreads(80, 80).withAttachmentRatio(0), 101, List.of("cu-a"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aMessageWrittenDuringTheRunIsPickedUpByCatchUp() {
    String id = "cu-a";
    SeedSummary.AccountSummary s = seeded.account(id);
    svc.createAccount(id);
    svc.startMigration(id, false);
    // hold the run in the older phase (an operator's pause), after recent has copied its threads
    long deadline = System.currentTimeMillis() + 20_000;
    int paused = 0;
    while (paused == 0 && System.currentTimeMillis() < deadline) {
      paused = svc.execute("update accounts set paused_from = migration_status, migration_status = 'paused' "
          + "where account_id = ? and migration_status = 'recent_messages_only'", id);
      if (paused == 0) TestService.sleep(5);
    }
    assertEquals(1, paused, "the run never reached recent_messages_only");
    TestService.sleep(500);
    assertEquals("paused", svc.migrationStatus(id));

    // Conversations writes a new message into a recent thread, already copied
    SeedSummary.ThreadOutcome recent = s.threads().stream()
        .filter(t -> t.good() && t.lastMessageAt() >= System.currentTimeMillis() - 20L * 24 * 3600 * 1000)
        .findFirst().orElseThrow();
    assertEquals(recent.goodMessages(), svc.count("select count(*) from messages where thread_id = ?", recent.threadId()));
    long now = System.currentTimeMillis();
    put(svc.tables.messagesTable(), Map.of("threadId", AttributeValue.fromS(recent.threadId()),
        "messageId", AttributeValue.fromS(String.format("m-%013d-%05d", now, 99999)),
        "accountId", AttributeValue.fromS(id), "sentAt", AttributeValue.fromN(Long.toString(now)),
        "direction", AttributeValue.fromS("inbound"), "body", AttributeValue.fromS("written during the run"),
        "author", AttributeValue.fromM(Map.of("type", AttributeValue.fromS("customer")))));
    TestService.await(Future.fromCompletionStage(TestService.dynalite().client().updateItem(UpdateItemRequest.builder()
        .tableName(svc.tables.threadsTable())
        .key(Map.of("accountId", AttributeValue.fromS(id), "threadId", AttributeValue.fromS(recent.threadId())))
        .updateExpression("SET lastMessageAt = :t")
        .expressionAttributeValues(Map.of(":t", AttributeValue.fromN(Long.toString(now)))).build())));

    assertEquals(1, svc.execute("update accounts set migration_status = paused_from, paused_from = null where account_id = ?", id));
    JsonObject account = svc.awaitStatus(id, "completed", 40_000);
    assertEquals(recent.goodMessages() + 1, svc.count("select count(*) from messages where thread_id = ?", recent.threadId()));
    assertEquals(recent.goodMessages() + 1, svc.count("select message_count from threads where thread_id = ?", recent.threadId()));
    assertEquals(now, svc.count("select last_message_at from threads where thread_id = ?", recent.threadId()));
    JsonObject messages = account.getJsonObject("reconciliation").getJsonObject("messages");
    assertEquals(s.goodMessages() + 1, messages.getLong("itemsRead"), messages.encode());
    assertTrue(messages.getBoolean("ok"));
  }

  private static void put(String table, Map<String, AttributeValue> item) {
    TestService.await(Future.fromCompletionStage(TestService.dynalite().client().putItem(PutItemRequest.builder()
        .tableName(table).item(item).build())));
  }
}
