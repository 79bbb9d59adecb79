package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.migrator.support.Checksums;
import dev.helpdesk.migrator.support.ServiceProcess;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.util.List;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The owner of a run frozen with SIGSTOP (as a long GC pause or a VM migration would) past its
 * lease: the other instance takes the job over, and when the frozen one wakes up it must commit
 * nothing, although its sockets and its transaction are still open. "Nothing" is measured in the
 * database: message row versions carrying the old lease epoch whose commit time is after the
 * take-over (PostgreSQL's commit timestamps, so a transaction begun before the pause and committed
 * after it is caught too), and the number of old-epoch rows, which may only shrink.
 */
@ExtendWith(VertxExtension.class)
class PausedOwnerTest {
  private static final long LEASE_TTL_MS = 2000;
  private static final long SWEEP_MS = 300;
  static TestService env;

  @BeforeAll
  static void start(Vertx vertx) {
    env = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 40)
        .put("MIGRATION_LEASE_TTL_MS", LEASE_TTL_MS)
        .put("MIGRATION_HEARTBEAT_MS", 500)
        .put("MIGRATION_SWEEP_MS", SWEEP_MS)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 100)
        .put("CONFIG_FILE", "conf/config.json"));
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  @Test
  void anOwnerPausedPastItsLeaseCommitsNothingAfterTheTakeOverAndTheAccountEndsExact() {
    String id = "paused-1";
    env.seed(Profile.TYPICAL.withThreads(200, 200).withAttachmentRatio(0.1).withMaxAttachmentBytes(4096), 73, List.of(id));
    SourceSnapshot source = TestService.await(Future.fromCompletionStage(
        SourceSnapshot.read(TestService.dynalite().client(), env.tables, id)));

    try (ServiceProcess a = ServiceProcess.start("paused-a", env.config);
         ServiceProcess b = ServiceProcess.start("paused-b", env.config)) {
      a.http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id).put("name", id));
      assertEquals(202, a.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id)).status());
      awaitCount("select count(*) from messages where account_id = ?", id, 200, 60_000);

      String owner = jobColumn(id, "lease_owner");
      long epochBefore = Long.parseLong(jobColumn(id, "lease_epoch"));
      ServiceProcess victim = owner.equals(a.instanceId()) ? a : b;
      ServiceProcess heir = victim == a ? b : a;
      assertEquals(owner, victim.instanceId(), "the owner is one of the two instances");

      victim.pause();
      long pausedAt = System.currentTimeMillis();
      try {
        long deadline = pausedAt + 30_000;
        while (Long.parseLong(jobColumn(id, "lease_epoch")) == epochBefore) {
          assertTrue(System.currentTimeMillis() < deadline, "no take-over within 30 s of the pause");
          TestService.sleep(20);
        }
      } catch (AssertionError e) {
        victim.resume();
        throw e;
      }
      long takeOverMs = System.currentTimeMillis() - pausedAt;
      Timestamp takenOverAt = dbNow();
      assertEquals(heir.instanceId(), jobColumn(id, "lease_owner"), "the other instance took the job");
      // the heir makes progress while the owner is still frozen: a checkpoint of its own (whatever the
      // phase: it may be past the messages, copying attachments) or the run's end
      long heirDeadline = System.currentTimeMillis() + 30_000;
      while (env.count("select count(*) from migration_jobs where account_id = ? and updated_at > ?", id, takenOverAt) == 0) {
        assertTrue(System.currentTimeMillis() < heirDeadline, "the heir committed nothing within 30 s of the take-over");
        TestService.sleep(20);
      }
      long staleRowsAtResume = staleRows(id, epochBefore);
      victim.resume();
      // the woken owner gets time to try whatever it was doing: finish its transaction, heartbeat, write on
      TestService.sleep(4 * LEASE_TTL_MS);

      env.awaitStatus(id, "completed", 180_000, heir.http);
      long committedAfter = committedAfter(id, epochBefore, takenOverAt);
      System.out.println("paused owner: take-over " + takeOverMs + " ms after SIGSTOP; rows of the old epoch "
          + staleRowsAtResume + " at resume, " + staleRows(id, epochBefore) + " at the end; committed by it after the take-over: "
          + committedAfter);
      assertTrue(takeOverMs <= LEASE_TTL_MS + SWEEP_MS + 1500, "take-over took " + takeOverMs + " ms");
      assertEquals(0, committedAfter, "rows the paused owner committed after the take-over");
      assertTrue(staleRows(id, epochBefore) <= staleRowsAtResume, "the old epoch's rows only shrink as the heir rewrites them");
      assertEquals(epochBefore + 1, Long.parseLong(jobColumn(id, "lease_epoch")), "exactly one take-over");
      assertEquals("done", jobColumn(id, "state"));
      assertTrue(victim.log().contains("lease"), "the woken owner noticed it lost the lease:\n" + victim.log());
    }

    assertEquals(source.threadCount(), env.count("select count(*) from threads where account_id = ?", id));
    assertEquals(source.messageCount(), env.count("select count(*) from messages where account_id = ?", id));
    assertEquals(Checksums.ofSource(source), Checksums.ofTarget(env, id));
    assertEquals(0, env.count("select count(*) from (select thread_id, message_id from messages where account_id = ? "
        + "group by 1, 2 having count(*) > 1) d", id));
    assertEquals(source.attachmentCount(), env.count("select count(*) from attachments where account_id = ?", id));
    assertEquals(0, env.count("select count(*) from attachments where account_id = ? and state = 'pending'", id));
  }

  private static long staleRows(String id, long epoch) {
    return env.count("select (select count(*) from messages where account_id = ? and migrated_epoch = ?)"
        + " + (select count(*) from threads where account_id = ? and migrated_epoch = ?)", id, epoch, id, epoch);
  }

  /**
   * Message row versions of the old epoch committed after the take-over. Messages only: a run writes
   * them solely by upserts that stamp its epoch, whereas the heir legitimately updates old-epoch
   * thread rows (message_count recount) and attachment rows (copy state) without restamping them.
   */
  private static long committedAfter(String id, long epoch, Timestamp at) {
    return env.count("select count(*) from messages where account_id = ? and migrated_epoch = ? "
        + "and pg_xact_commit_timestamp(xmin) > ?", id, epoch, at);
  }

  private static Timestamp dbNow() {
    try (Connection c = env.pg.connect(env.database); var st = c.createStatement(); ResultSet rs = st.executeQuery("select now()")) {
      rs.next();
      return rs.getTimestamp(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String jobColumn(String id, String column) {
    try (Connection c = env.pg.connect(env.database);
         var st = c.prepareStatement("select " + column + "::text from migration_jobs where account_id = ?")) {
      st.setString(1, id);
      try (ResultSet rs = st.executeQuery()) {
        assertTrue(rs.next(), "no job for " + id);
        return rs.getString(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void awaitCount(String sql, String id, long atLeast, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (env.count(sql, id) < atLeast) {
      assertTrue(System.currentTimeMillis() < deadline, sql + " stayed under " + atLeast + " for " + timeoutMs + " ms");
      TestService.sleep(20);
    }
  }
}
