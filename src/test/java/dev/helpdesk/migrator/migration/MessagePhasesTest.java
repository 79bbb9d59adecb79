package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.vertx.core.Future;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import java.util.List;
import java.util.Map;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/** A clean and a dirty account through every phase, checked item by item against the source. */
@ExtendWith(VertxExtension.class)
class MessagePhasesTest {
  static TestService svc;
  static SeedSummary sample;
  static SeedSummary dirty;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 40)
        .put("MIGRATION_THREAD_CONCURRENCY", 4)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 50)
        .put("MEDIA_MAX_ATTEMPTS", 2)).start();
    sample = svc.seed(Profile.SAMPLE, 41, List.of("mp-sample"));
    dirty = svc.seed(Profile.DIRTY, 42, List.of("mp-dirty"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aCleanAccountArrivesWholeWithItsStatusOnlyMovingForward() {
    String id = "mp-sample";
    svc.createAccount(id);
    JsonObject account;
    try (StatusPoller poller = new StatusPoller(svc, id)) {
      svc.startMigration(id, false);
      account = svc.awaitStatus(id, "completed", 30_000);
      assertTrue(poller.monotonic(), "statuses seen: " + poller.seen());
      assertEquals(List.of(), poller.progressProblems());
    }
    SeedSummary.AccountSummary s = sample.account(id);
    assertEquals(Parity.expected(svc, id, s), Parity.actual(svc, id));
    assertEquals(s.goodThreads(), svc.count("select count(*) from threads where account_id = ?", id));
    assertEquals(s.goodMessages(), svc.count("select count(*) from messages where account_id = ?", id));
    assertEquals(s.goodAttachments(), svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id));
    assertEquals(0, svc.count("select count(*) from dead_letters where account_id = ?", id));
    assertEquals(0, svc.count("select count(*) from threads where account_id = ? and message_count <> "
        + "(select count(*) from messages m where m.thread_id = threads.thread_id)", id));

    // the ~400 KB body and the bodies holding U+0000 are stored byte for byte
    assertTrue(svc.count("select count(*) from messages where account_id = ? and length(body) > 390000", id) >= 1);
    assertTrue(svc.count("select count(*) from messages where account_id = ? and position('\\x00'::bytea in body) > 0", id) >= 1);

    JsonObject progress = account.getJsonObject("progress");
    assertEquals("done", progress.getString("phase"));
    assertEquals(s.goodThreads(), progress.getLong("threadsMigrated"));
    assertEquals(s.goodMessages(), progress.getLong("messagesMigrated"));
    assertEquals(s.goodAttachments(), progress.getLong("attachmentsMigrated"));
    assertEquals(s.threadCount(), progress.getInteger("threadsTotal"));
    assertEquals(0, progress.getLong("etaSeconds"));
    JsonObject recon = account.getJsonObject("reconciliation");
    for (String kind : List.of("threads", "messages", "attachments")) {
      assertTrue(recon.getJsonObject(kind).getBoolean("ok"), recon.encode());
    }
    assertEquals(s.goodMessages(), recon.getJsonObject("messages").getLong("itemsRead"));
  }

  @Test
  void aDirtyAccountCompletesWithExactlyThePlantedBadRecordsDeadLettered() {
    String id = "mp-dirty";
    svc.createAccount(id);
    svc.startMigration(id, false);
    JsonObject account = svc.awaitStatus(id, "completed", 40_000);
    SeedSummary.AccountSummary s = dirty.account(id);

    assertEquals(Parity.expected(svc, id, s), Parity.actual(svc, id));
    assertEquals(Parity.planted(s), Parity.deadLetters(svc, id));
    assertEquals(0, svc.count("select count(*) from dead_letters where account_id = ? and reason = ''", id));
    // the thread the index cannot see (no lastMessageAt) was found by the table query
    assertEquals(1, svc.count("select count(*) from dead_letters where account_id = ? and kind = 'thread' "
        + "and reason like '%missing lastMessageAt%' and reason like '%messages were not migrated%'", id));
    // media 404/410/500 are dead letters, their messages are migrated, their rows failed
    for (String marker : List.of("gone404", "gone410", "err500")) {
      assertEquals(1, svc.count("select count(*) from attachments a join messages m using (thread_id, message_id) "
          + "where a.account_id = ? and a.state = 'failed' and a.attachment_id like ?", id, "%-" + marker + "-%"), marker);
    }
    assertEquals(s.goodAttachments(), svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id));

    JsonObject recon = account.getJsonObject("reconciliation");
    for (String kind : List.of("threads", "messages", "attachments")) {
      JsonObject k = recon.getJsonObject(kind);
      assertTrue(k.getBoolean("ok"), recon.encode());
    }
    assertEquals(s.badRecords("message").size(), recon.getJsonObject("messages").getLong("deadLetters"));
    assertEquals(s.badRecords("thread").size(), recon.getJsonObject("threads").getLong("deadLetters"));
    assertEquals(s.badRecords("attachment").size(), recon.getJsonObject("attachments").getLong("deadLetters"));
    assertEquals(s.badRecords().size(), account.getJsonObject("progress").getLong("deadLetters"));
  }

  @Test
  void aRowPostgresqlRefusesIsDeadLetteredAndTheRestOfItsBatchIsKept() {
    String id = "mp-nul";
    svc.createAccount(id);
    SeedSummary.AccountSummary s = svc.seed(Profile.SAMPLE.withThreads(3, 3).withAttachmentRatio(0), 43, List.of(id)).account(id);
    // DynamoDB takes U+0000 in a key; a PostgreSQL text key cannot hold it
    String threadId = s.threads().get(0).threadId();
    String messageId = "m-\u0000-refused";
    Map<String, AttributeValue> item = Map.of("threadId", AttributeValue.fromS(threadId),
        "messageId", AttributeValue.fromS(messageId), "accountId", AttributeValue.fromS(id),
        "sentAt", AttributeValue.fromN("1"), "direction", AttributeValue.fromS("note"),
        "author", AttributeValue.fromM(Map.of("type", AttributeValue.fromS("system"))));
    TestService.await(Future.fromCompletionStage(TestService.dynalite().client().putItem(PutItemRequest.builder()
        .tableName(svc.tables.messagesTable()).item(item).build())));

    svc.startMigration(id, false);
    JsonObject account = svc.awaitStatus(id, "completed", 30_000);
    assertEquals(s.goodMessages(), svc.count("select count(*) from messages where account_id = ?", id));
    assertEquals(1, svc.count("select count(*) from dead_letters where account_id = ? and kind = 'message' "
        + "and reason like '%could not be stored%'", id));
    JsonObject messages = account.getJsonObject("reconciliation").getJsonObject("messages");
    assertEquals(s.goodMessages() + 1, messages.getLong("itemsRead"));
    assertEquals(1, messages.getLong("deadLetters"));
    assertTrue(messages.getBoolean("ok"));
  }
}
