package dev.helpdesk.migrator.accounts;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.data.SourceTables;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The operators' pause, resume, cancel and purge, against a run slowed down enough (small batches,
 * a DynamoDB read rate) to be caught in the middle: a paused or cancelled run stops writing within
 * seconds, and the run that follows still ends exact.
 */
@ExtendWith(VertxExtension.class)
class OperatorControlsTest {
  static final Set<String> RUNNING = Set.of("migrating", "channels_only", "recent_messages_only");
  static TestService svc;
  static SeedSummary seeded;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 10)
        .put("MIGRATION_THREAD_CONCURRENCY", 1)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 20)
        .put("DYNAMODB_READ_RATE_TOTAL", 40)
        .put("MEDIA_CONCURRENCY", 2)).start();
    seeded = svc.seed(Profile.SAMPLE.withThreads(120, 120).withAttachmentRatio(0.1), 81,
        List.of("oc-pause", "oc-cancel", "oc-purge", "oc-busy"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aPausedRunStopsWritingAndResumesWhereItWasToAnExactEnd() {
    String id = "oc-pause";
    svc.createAccount(id);
    svc.startMigration(id, false);
    awaitProgress(id, p -> p.getLong("messagesMigrated", 0L) > 50);

    JsonObject paused = control(id, "migration/pause");
    assertTrue(paused.getBoolean("accepted"), paused.encode());
    assertEquals("paused", paused.getString("migrationStatus"));
    String from = string("select paused_from from accounts where account_id = ?", id);
    assertTrue(RUNNING.contains(from), "paused from " + from);

    JsonObject again = control(id, "migration/pause");
    assertFalse(again.getBoolean("accepted"));
    assertEquals("already_paused", again.getString("reason"));
    // CONTRACT §3.2: a start request on a paused account answers paused
    Http.Response start = svc.http.post("/v1/migrate", TestService.CONVERSATIONS_CALLER,
        new JsonObject().put("accountId", id).put("force", false));
    assertEquals(200, start.status(), start.body());
    assertEquals("paused", start.json().getString("reason"));

    long stoppedBy = System.currentTimeMillis();
    TestService.sleep(2000);
    long[] before = rows(id);
    double reads = dynamoRequests();
    TestService.sleep(2500);
    assertArrayEquals(before, rows(id), "rows written more than 2 s after the pause");
    assertEquals(reads, dynamoRequests(), "DynamoDB read more than 2 s after the pause");
    assertEquals("paused", svc.migrationStatus(id));
    assertEquals(0, svc.count("select count(*) from migration_jobs where account_id = ? and lease_owner is not null", id),
        "the paused job still has an owner");
    System.out.println("pause: rows " + java.util.Arrays.toString(before) + " unchanged from "
        + (System.currentTimeMillis() - stoppedBy - 2500) + " ms after the pause");

    JsonObject resumed = control(id, "migration/resume");
    assertTrue(resumed.getBoolean("accepted"), resumed.encode());
    assertEquals(from, resumed.getString("migrationStatus"), "resume returns the account to where it was");
    assertEquals("not_paused", control(id, "migration/resume").getString("reason"));

    assertExact(id, svc.awaitStatus(id, "completed", 90_000));
  }

  @Test
  void aCancelledRunStopsWritingFailsAsCancelledAndALaterStartCompletesIt() {
    String id = "oc-cancel";
    svc.createAccount(id);
    svc.startMigration(id, false);
    awaitProgress(id, p -> p.getLong("messagesMigrated", 0L) > 50);

    JsonObject cancelled = control(id, "migration/cancel");
    assertTrue(cancelled.getBoolean("accepted"), cancelled.encode());
    assertEquals("failed", cancelled.getString("migrationStatus"));
    assertEquals("cancelled", cancelled.getString("failureReason"));
    JsonObject again = control(id, "migration/cancel");
    assertFalse(again.getBoolean("accepted"));
    assertEquals("already_failed", again.getString("reason"));
    JsonObject account = svc.http.get("/v1/accounts/" + id, ADMIN).json();
    assertEquals("failed", account.getString("migrationStatus"));
    assertEquals("cancelled", account.getString("failureReason"));
    assertEquals(0, svc.count("select count(*) from migration_jobs where account_id = ? and state in ('queued', 'running')", id));
    assertEquals("not_paused", control(id, "migration/resume").getString("reason"));

    TestService.sleep(2000);
    long[] before = rows(id);
    double reads = dynamoRequests();
    TestService.sleep(2500);
    assertArrayEquals(before, rows(id), "rows written more than 2 s after the cancel");
    // the only run of this service was cancelled: nothing reads DynamoDB any more
    assertEquals(reads, dynamoRequests(), "DynamoDB read more than 2 s after the cancel");

    // CONTRACT §3.2: failed → accepted, resumed from the checkpoint
    svc.startMigration(id, false);
    assertExact(id, svc.awaitStatus(id, "completed", 90_000));
  }

  @Test
  void purgeDeletesTheMigratedDataAndTheAccountMigratesAgainExactly() throws Exception {
    String id = "oc-purge";
    svc.createAccount(id);
    svc.startMigration(id, false);
    svc.awaitStatus(id, "completed", 90_000);
    List<String> blobs = strings("select blob_sha256 from attachments where account_id = ? and blob_sha256 is not null", id);
    assertFalse(blobs.isEmpty(), "the seed has attachments");
    long threads = svc.count("select count(*) from threads where account_id = ?", id);

    Http.Response purge = svc.http.post("/v1/accounts/" + id + "/purge", ADMIN, "");
    assertEquals(200, purge.status(), purge.body());
    JsonObject deleted = purge.json().getJsonObject("deleted");
    assertEquals(threads, deleted.getLong("threads"));
    assertEquals(blobs.stream().distinct().count(), deleted.getLong("files"));
    for (String table : List.of("threads", "messages", "attachments", "brands", "channels", "dead_letters", "migration_jobs")) {
      assertEquals(0, svc.count("select count(*) from " + table + " where account_id = ?", id), table);
    }
    String dir = svc.config.getString("ATTACHMENTS_DIR");
    for (String sha : blobs) {
      assertFalse(Files.exists(Path.of(dir, sha.substring(0, 2), sha.substring(2, 4), sha)), "file " + sha + " is still there");
    }
    JsonObject account = svc.http.get("/v1/accounts/" + id, ADMIN).json();
    assertEquals("not_started", account.getString("migrationStatus"));
    assertNull(account.getValue("progress"));
    assertNull(account.getValue("reconciliation"));
    assertFalse(account.getBoolean("checked"));

    // a repeat finds nothing and says so the same way
    Http.Response repeat = svc.http.post("/v1/accounts/" + id + "/purge", ADMIN, "");
    assertEquals(200, repeat.status(), repeat.body());
    assertEquals(0, repeat.json().getJsonObject("deleted").getLong("messages"));

    svc.startMigration(id, false);
    assertExact(id, svc.awaitStatus(id, "completed", 90_000));
    for (String sha : blobs) {
      assertTrue(Files.exists(Path.of(dir, sha.substring(0, 2), sha.substring(2, 4), sha)), "file " + sha + " not copied again");
    }
  }

  @Test
  void purgeIsRefusedWhileARunIsLiveAndChangesNothing() {
    String id = "oc-busy";
    svc.createAccount(id);
    svc.startMigration(id, false);
    awaitProgress(id, p -> p.getLong("messagesMigrated", 0L) > 20);
    long[] before = rows(id);

    Http.Response refused = svc.http.post("/v1/accounts/" + id + "/purge", ADMIN, "");
    assertEquals(409, refused.status(), refused.body());
    assertEquals("conflict", refused.error());
    assertTrue(RUNNING.contains(svc.migrationStatus(id)));
    long[] after = rows(id);
    for (int i = 0; i < before.length; i++) assertTrue(after[i] >= before[i], "rows were deleted");

    assertTrue(control(id, "migration/pause").getBoolean("accepted"));
    Http.Response whilePaused = svc.http.post("/v1/accounts/" + id + "/purge", ADMIN, "");
    assertEquals(409, whilePaused.status(), whilePaused.body());
    assertTrue(rows(id)[1] > 0, "a refused purge deleted messages");

    // a cancelled (failed) account can be purged
    assertTrue(control(id, "migration/cancel").getBoolean("accepted"));
    Http.Response purged = svc.http.post("/v1/accounts/" + id + "/purge", ADMIN, "");
    assertEquals(200, purged.status(), purged.body());
    assertEquals(0, svc.count("select count(*) from messages where account_id = ?", id));
    assertEquals("not_started", svc.migrationStatus(id));
  }

  @Test
  void onlyOperatorsUnknownAccountsAndControlsThatDoNotApply() {
    String id = "oc-idle";
    svc.createAccount(id);
    for (String path : List.of("migration/pause", "migration/resume", "migration/cancel", "purge")) {
      String url = "/v1/accounts/" + id + "/" + path;
      assertEquals(401, svc.http.post(url, TestService.CONVERSATIONS_CALLER, "").status(), path);
      assertEquals(401, svc.http.post(url, svc.mobileToken(id), "").status(), path);
      assertEquals(401, svc.http.post(url, null, "").status(), path);
      Http.Response unknown = svc.http.post("/v1/accounts/no-such-account/" + path, ADMIN, "");
      assertEquals(404, unknown.status(), path + " " + unknown.body());
      assertEquals("not_found", unknown.error());
    }
    JsonObject pause = control(id, "migration/pause");
    assertFalse(pause.getBoolean("accepted"));
    assertEquals("not_running", pause.getString("reason"));
    assertEquals("not_started", pause.getString("migrationStatus"));
    assertEquals("not_running", control(id, "migration/cancel").getString("reason"));
    assertEquals("not_paused", control(id, "migration/resume").getString("reason"));
    assertEquals("not_started", svc.migrationStatus(id));
  }

  /** DynamoDB HTTP requests this process sent so far (GET /metrics; tests of this class run one at a time). */
  private static double dynamoRequests() {
    Http.Response r = svc.http.get("/metrics", ADMIN);
    assertEquals(200, r.status());
    for (String line : r.body().split("\n")) {
      if (line.startsWith("migrator_dynamodb_requests_total")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    throw new AssertionError("no migrator_dynamodb_requests_total in /metrics");
  }

  private static JsonObject control(String id, String path) {
    Http.Response r = svc.http.post("/v1/accounts/" + id + "/" + path, ADMIN, "");
    assertEquals(200, r.status(), path + ": " + r.body());
    return r.json();
  }

  /** threads, messages, attachment rows, copied attachments, dead letters, job checkpoints written */
  private static long[] rows(String id) {
    return new long[] {
        svc.count("select count(*) from threads where account_id = ?", id),
        svc.count("select count(*) from messages where account_id = ?", id),
        svc.count("select count(*) from attachments where account_id = ?", id),
        svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id),
        svc.count("select count(*) from dead_letters where account_id = ?", id),
        svc.count("select coalesce(sum(extract(epoch from updated_at) * 1000), 0)::bigint from migration_jobs where account_id = ?", id),
    };
  }

  private static void assertExact(String id, JsonObject account) {
    SeedSummary.AccountSummary s = seeded.account(id);
    SourceSnapshot source = TestService.await(Future.fromCompletionStage(
        SourceSnapshot.read(TestService.dynalite().client(), SourceTables.defaults(), id)));
    assertEquals(source.threadCount(), svc.count("select count(*) from threads where account_id = ?", id));
    assertEquals(source.messageCount(), svc.count("select count(*) from messages where account_id = ?", id));
    assertEquals(Checksums.ofSource(source), Checksums.ofTarget(svc, id));
    assertEquals(s.goodAttachments(), svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", id));
    JsonObject recon = account.getJsonObject("reconciliation");
    assertEquals(s.goodMessages(), recon.getJsonObject("messages").getLong("itemsRead"), recon.encode());
    assertEquals(s.goodMessages(), recon.getJsonObject("messages").getLong("rowsWritten"), recon.encode());
    assertEquals(s.goodAttachments(), recon.getJsonObject("attachments").getLong("rowsWritten"), recon.encode());
    assertTrue(recon.getJsonObject("messages").getBoolean("ok"), recon.encode());
  }

  private static JsonObject awaitProgress(String id, Predicate<JsonObject> until) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      JsonObject account = svc.http.get("/v1/accounts/" + id, ADMIN).json();
      JsonObject progress = account.getJsonObject("progress");
      if (progress != null && until.test(progress)) {
        assertTrue(RUNNING.contains(account.getString("migrationStatus")), "the run ended too soon: " + account.encode());
        return account;
      }
      TestService.sleep(10);
    }
    throw new AssertionError("progress never got there");
  }

  private static String string(String sql, String param) {
    List<String> all = strings(sql, param);
    return all.isEmpty() ? null : all.get(0);
  }

  private static List<String> strings(String sql, String param) {
    List<String> out = new ArrayList<>();
    try (var c = svc.pg.connect(svc.database); var st = c.prepareStatement(sql)) {
      st.setString(1, param);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }
}
