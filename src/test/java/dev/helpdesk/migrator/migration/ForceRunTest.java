package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.data.SourceTables;
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
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Re-migrations (force) and the catch-up pass: the target always ends equal to the source. */
@ExtendWith(VertxExtension.class)
class ForceRunTest {
  static TestService svc;
  static SeedSummary replay;
  static SeedSummary shrink;
  static SeedSummary future;
  static SeedSummary futureDirty;

  @BeforeAll
  static void start(Vertx vertx) {
    // the dirty account is small: its planted bad records are far more than 5 % of its items
    svc = TestService.prepare(vertx).configure(c -> c.put("MIGRATION_BATCH_SIZE", 25)
        .put("MIGRATION_MAX_FAILURE_RATIO", 1.0)).start();
    Profile small = Profile.SAMPLE.withThreads(12, 12);
    replay = svc.seed(small, 51, List.of("fr-replay"));
    shrink = svc.seed(small, 52, List.of("fr-shrink"));
    // "now" of this data lies ahead: a part of its threads has lastMessageAt after the run starts
    future = TestService.await(Future.fromCompletionStage(DataGenerator.seed(TestService.dynalite().client(),
        svc.tables, small, 53, List.of("fr-future"), svc.simulator.mediaBaseUrl(),
        System.currentTimeMillis() + 40L * 24 * 3600 * 1000)));
    futureDirty = TestService.await(Future.fromCompletionStage(DataGenerator.seed(TestService.dynalite().client(),
        svc.tables, Profile.DIRTY.withThreads(16, 16), 54, List.of("fr-future-dirty"), svc.simulator.mediaBaseUrl(),
        System.currentTimeMillis() + 40L * 24 * 3600 * 1000)));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  private static JsonObject migrateToCompletion(String id, boolean force) {
    svc.startMigration(id, force);
    TestService.sleep(200);
    return svc.awaitStatus(id, "completed", 30_000);
  }

  @Test
  void aForcedReplayLeavesCountsAndContentsUnchanged() {
    String id = "fr-replay";
    svc.createAccount(id);
    migrateToCompletion(id, false);
    Map<String, String> first = Parity.actual(svc, id);
    assertEquals(Parity.expected(svc, id, replay.account(id)), first);
    long attachments = svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id);

    JsonObject again = migrateToCompletion(id, true);
    assertEquals(first, Parity.actual(svc, id));
    assertEquals(attachments, svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id));
    assertEquals(0, svc.count("select count(*) from dead_letters where account_id = ?", id));
    JsonObject messages = again.getJsonObject("reconciliation").getJsonObject("messages");
    assertEquals(replay.account(id).goodMessages(), messages.getLong("itemsRead"));
    assertTrue(messages.getBoolean("ok"));
    assertEquals(replay.account(id).goodAttachments(),
        again.getJsonObject("reconciliation").getJsonObject("attachments").getLong("rowsWritten"));
  }

  @Test
  void aForcedRunAfterSourceDeletionsLeavesExactlyTheSource() {
    String id = "fr-shrink";
    svc.createAccount(id);
    migrateToCompletion(id, false);
    SourceSnapshot before = Parity.snapshot(id);
    // a whole thread goes, and one message of another thread
    String goneThread = before.threads().get(0).get("threadId").s();
    for (Map<String, AttributeValue> m : before.messages(goneThread)) delete(svc.tables.messagesTable(), m, "threadId", "messageId");
    delete(svc.tables.threadsTable(), before.threads().get(0), "accountId", "threadId");
    String otherThread = before.threads().get(1).get("threadId").s();
    List<Map<String, AttributeValue>> others = before.messages(otherThread);
    delete(svc.tables.messagesTable(), others.get(others.size() - 1), "threadId", "messageId");

    JsonObject account = migrateToCompletion(id, true);
    assertEquals(Parity.expected(svc, id, shrink.account(id)), Parity.actual(svc, id));
    assertEquals(0, svc.count("select count(*) from threads where thread_id = ?", goneThread));
    assertEquals(others.size() - 1, svc.count("select message_count from threads where thread_id = ?", otherThread));
    assertEquals(0, svc.count("select count(*) from attachments a where account_id = ? and not exists "
        + "(select 1 from messages m where m.thread_id = a.thread_id and m.message_id = a.message_id)", id));
    assertTrue(account.getJsonObject("reconciliation").getJsonObject("messages").getBoolean("ok"));
  }

  @Test
  void threadsActiveAfterTheRunStartedAreCopiedAgainByCatchUpWithoutCountingTwice() {
    SeedSummary.AccountSummary s = future.account("fr-future");
    JsonObject recon = migrateWithCatchUp(s);
    assertEquals(s.goodMessages(), recon.getJsonObject("messages").getLong("itemsRead"), recon.encode());
    assertEquals(s.goodThreads(), recon.getJsonObject("threads").getLong("itemsRead"), recon.encode());
    assertEquals(s.goodAttachments(), recon.getJsonObject("attachments").getLong("rowsWritten"), recon.encode());
  }

  /** Bad records, refused media and good rows of threads that catch-up copies a second time: each counted once. */
  @Test
  void catchUpCountsTheRowsAndDeadLettersOfThreadsItCopiesAgainOnce() {
    String id = "fr-future-dirty";
    SeedSummary.AccountSummary s = futureDirty.account(id);
    assertFalse(s.badRecords().isEmpty(), "the seed must hold bad records");
    JsonObject recon = migrateWithCatchUp(s);
    assertEquals(svc.count("select count(*) from threads where account_id = ?", id),
        recon.getJsonObject("threads").getLong("rowsWritten"), recon.encode());
    assertEquals(svc.count("select count(*) from messages where account_id = ?", id),
        recon.getJsonObject("messages").getLong("rowsWritten"), recon.encode());
    assertEquals(svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id),
        recon.getJsonObject("attachments").getLong("rowsWritten"), recon.encode());
    for (String kind : List.of("thread", "message", "attachment")) {
      JsonObject k = recon.getJsonObject(kind + "s");
      assertEquals(svc.count("select count(*) from dead_letters where account_id = ? and kind = '" + kind
          + "' and resolved_at is null", id), k.getLong("deadLetters"), kind + ": " + recon.encode());
      assertTrue(k.getBoolean("ok"), recon.encode());
    }
    assertTrue(recon.getJsonObject("messages").getLong("deadLetters") > 0, recon.encode());
  }

  /** Migrates an account part of whose threads move past the run's start (catch-up copies them again); checks parity. */
  private static JsonObject migrateWithCatchUp(SeedSummary.AccountSummary s) {
    String id = s.accountId();
    svc.createAccount(id);
    assertTrue(s.goodThreadsSince(System.currentTimeMillis() + 60_000) > 0, "the seed must reach past the run start");
    JsonObject recon = migrateToCompletion(id, false).getJsonObject("reconciliation");
    assertEquals(Parity.expected(svc, id, s), Parity.actual(svc, id));
    return recon;
  }

  private static void delete(String table, Map<String, AttributeValue> item, String hash, String range) {
    TestService.await(Future.fromCompletionStage(TestService.dynalite().client().deleteItem(DeleteItemRequest.builder()
        .tableName(table).key(Map.of(hash, item.get(hash), range, item.get(range))).build())));
  }

  static SourceTables tables() {
    return SourceTables.defaults();
  }
}
