package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import dev.helpdesk.loadtests.support.TcpFaultProxy;
import dev.helpdesk.migrator.support.Checksums;
import dev.helpdesk.migrator.support.Http;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * PostgreSQL connections failing under the service: backends terminated by an operator
 * ({@code pg_terminate_backend}) mid-run, and a network that swallows every byte (a black-holing
 * TCP proxy in front of PostgreSQL) with a tiny pool, where waiting for a connection must end in a
 * 503 after PG_ACQUIRE_TIMEOUT_MS rather than a request that hangs.
 */
@ExtendWith(VertxExtension.class)
class PostgresConnectionFaultsTest {

  @Test
  void backendsTerminatedMidRunTheAccountEndsExactAndQueriesRecoverWithinTenSeconds(Vertx vertx) {
    int rounds = Integer.getInteger("migrator.pgTerminations", 6);
    try (TestService svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 40)
        // at least 150 Queries at 25/s: the run lasts seconds whatever the machine's speed, so the faults
        // land mid-run (unthrottled, a fast machine finished the account before the first one)
        .put("DYNAMODB_READ_RATE_TOTAL", 25)
        .put("PG_ACQUIRE_TIMEOUT_MS", 2000)
        .put("PG_QUERY_TIMEOUT_MS", 5000)).start()) {
      String id = "pgt-1";
      svc.seed(Profile.TYPICAL.withThreads(150, 150).withAttachmentRatio(0.05).withMaxAttachmentBytes(2048), 83, List.of(id));
      SourceSnapshot source = TestService.await(Future.fromCompletionStage(
          SourceSnapshot.read(TestService.dynalite().client(), svc.tables, id)));
      svc.createAccount(id);
      svc.startMigration(id, false);

      long worstRecoveryMs = 0;
      int landed = 0;
      int terminated = 0;
      for (int i = 0; i < rounds; i++) {
        TestService.sleep(500);
        if (!"completed".equals(svc.migrationStatus(id))) landed++;
        terminated += terminateBackends(svc);
        long t0 = System.currentTimeMillis();
        // the first request after the cut may meet a dead pooled connection; the next ones must not
        while (svc.http.get("/v1/accounts/" + id, ADMIN).status() != 200) {
          assertTrue(System.currentTimeMillis() - t0 < 10_000, "the API still failing 10 s after termination " + i);
          TestService.sleep(50);
        }
        worstRecoveryMs = Math.max(worstRecoveryMs, System.currentTimeMillis() - t0);
      }
      JsonObject account = svc.awaitStatus(id, "completed", 180_000);
      System.out.println("pg_terminate_backend: " + rounds + " rounds (" + landed + " mid-run), " + terminated
          + " backends terminated, worst recovery " + worstRecoveryMs + " ms");
      assertTrue(landed >= 2, "terminations that landed mid-run: " + landed);
      assertTrue(terminated >= rounds, "each round terminated at least one backend: " + terminated);
      assertEquals(source.threadCount(), svc.count("select count(*) from threads where account_id = ?", id));
      assertEquals(source.messageCount(), svc.count("select count(*) from messages where account_id = ?", id));
      assertEquals(Checksums.ofSource(source), Checksums.ofTarget(svc, id));
      assertEquals(source.attachmentCount(), svc.count("select count(*) from attachments where account_id = ?", id));
      assertTrue(account.getJsonObject("reconciliation").getJsonObject("messages").getBoolean("ok"), account.encode());
    }
  }

  @Test
  void anExhaustedPoolAnswers503WithinTheAcquireTimeoutInsteadOfHanging(Vertx vertx) throws Exception {
    long acquireMs = 1000;
    long queryMs = 20_000; // far above the acquire time-out: a 503 in ~1 s can only come from the pool
    TcpFaultProxy proxy = TestService.await(TcpFaultProxy.start(vertx, "127.0.0.1", EmbeddedPg.shared().port()));
    try (TestService svc = TestService.prepare(vertx)) {
      svc.configure(c -> c
          .put("PG_URI", "postgresql://postgres:postgres@127.0.0.1:" + proxy.port() + "/" + svc.database)
          .put("PG_POOL_SIZE", 2)
          .put("PG_ACQUIRE_TIMEOUT_MS", acquireMs)
          .put("PG_QUERY_TIMEOUT_MS", queryMs)
          // the status reads below must reach the pool, not the account store's cache (AccountCacheTest)
          .put("ACCOUNT_CACHE_MS", 0)).start();
      svc.createAccount("pool-a");
      assertEquals(200, svc.http.get("/v1/accounts/pool-a", ADMIN).status());

      proxy.blackhole(true);
      // two requests (or the job runner's sweep and heartbeat, whichever comes first) take both
      // connections and wait on a database that never answers
      List<CompletableFuture<Http.Response>> stuck = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        stuck.add(CompletableFuture.supplyAsync(() -> svc.http.get("/v1/accounts/pool-a", ADMIN)));
      }
      TestService.sleep(300);
      long worst = 0;
      for (int i = 0; i < 5; i++) {
        long t0 = System.nanoTime();
        Http.Response r = svc.http.get("/v1/accounts/pool-a", ADMIN);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        worst = Math.max(worst, ms);
        assertEquals(503, r.status(), r.body());
        assertEquals("unavailable", r.error());
      }
      System.out.println("pool exhausted: 5 requests answered 503, slowest in " + worst + " ms (PG_ACQUIRE_TIMEOUT_MS "
          + acquireMs + ", PG_QUERY_TIMEOUT_MS " + queryMs + ")");
      assertTrue(worst <= acquireMs + 1000, "a request waited " + worst + " ms for a connection");

      proxy.blackhole(false);
      long healedAt = System.currentTimeMillis();
      while (svc.http.get("/v1/accounts/pool-a", ADMIN).status() != 200) {
        assertTrue(System.currentTimeMillis() - healedAt < 10_000, "still failing 10 s after the network healed");
        TestService.sleep(50);
      }
      System.out.println("pool exhausted: answering again " + (System.currentTimeMillis() - healedAt) + " ms after healing");
      for (var f : stuck) {
        int status = f.get(queryMs + 5000, java.util.concurrent.TimeUnit.MILLISECONDS).status();
        assertTrue(status == 200 || status == 503, "held request ended with " + status);
      }
    } finally {
      proxy.close();
    }
  }

  /** What an operator's {@code select pg_terminate_backend(pid) ...} does: every backend of the service's database. */
  private static int terminateBackends(TestService svc) {
    try (Connection c = svc.pg.connect(svc.database); var st = c.prepareStatement(
        "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity "
            + "where datname = ? and pid <> pg_backend_pid()")) {
      st.setString(1, svc.database);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
