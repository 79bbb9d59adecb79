package dev.helpdesk.migrator.bulk;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.migrator.support.Checksums;
import dev.helpdesk.migrator.support.Http;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Bulk runs end to end: the accounts created and migrated exactly, never more of them running than
 * the concurrency, started no faster than the rate, carried on across a restart, behind an app start
 * in the claim order, cancellable; and the route's own checks.
 */
@ExtendWith(VertxExtension.class)
class BulkRunTest {
  static TestService svc;
  static final String RUNNING = "('migrating', 'channels_only', 'recent_messages_only')";

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_BATCH_SIZE", 20)
        .put("MIGRATION_ACCOUNTS_PARALLEL", 1)
        .put("DYNAMODB_READ_RATE_TOTAL", 60)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  private static List<String> seed(String prefix, int n, int threads, long seed) {
    List<String> ids = IntStream.range(0, n).mapToObj(i -> prefix + "-" + i).toList();
    svc.seed(Profile.SAMPLE.withThreads(threads, threads).withAttachmentRatio(0.05), seed, ids);
    return ids;
  }

  private static JsonObject body(List<String> ids, double rate, int concurrency) {
    JsonArray accounts = new JsonArray();
    ids.forEach(id -> accounts.add(new JsonObject().put("accountId", id).put("name", "Bulk " + id)));
    return new JsonObject().put("accounts", accounts).put("ratePerSecond", rate).put("concurrency", concurrency);
  }

  private static JsonObject create(JsonObject body) {
    Http.Response r = svc.http.post("/v1/bulk-runs", ADMIN, body);
    assertEquals(201, r.status(), r.body());
    return r.json();
  }

  private static JsonObject get(String bulkId) {
    Http.Response r = svc.http.get("/v1/bulk-runs/" + bulkId, ADMIN);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static JsonObject awaitBulk(String bulkId, String state, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    JsonObject run;
    do {
      run = get(bulkId);
      if (state.equals(run.getString("state"))) return run;
      TestService.sleep(200);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("bulk run " + bulkId + " is not " + state + ": " + run.encode());
  }

  /** Polls how many of the accounts run at once, recording the most seen, until stopped. */
  private static final class RunningWatch implements AutoCloseable {
    final AtomicLong max = new AtomicLong();
    final AtomicBoolean on = new AtomicBoolean(true);
    final Thread thread;

    RunningWatch(List<String> ids) {
      String sql = "select count(*) from accounts where account_id = any(?) and migration_status in " + RUNNING;
      thread = new Thread(() -> {
        while (on.get()) {
          try (var c = svc.pg.connect(svc.database); var st = c.prepareStatement(sql)) {
            st.setArray(1, c.createArrayOf("text", ids.toArray()));
            while (on.get()) {
              try (ResultSet rs = st.executeQuery()) {
                rs.next();
                max.accumulateAndGet(rs.getLong(1), Math::max);
              }
              TestService.sleep(20);
            }
          } catch (Exception e) {
            TestService.sleep(50); // the database between restarts of the service is still up; retry
          }
        }
      }, "running-watch");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public void close() {
      on.set(false);
    }
  }

  @Test
  void allAccountsCompleteExactlyNeverMoreThanTheConcurrencyAtOnceAndAcrossARestart() {
    List<String> ids = seed("bk", 6, 40, 91);
    try (RunningWatch watch = new RunningWatch(ids)) {
      JsonObject run = create(body(ids, 5, 2));
      String bulkId = run.getString("bulkId");
      assertEquals("running", run.getString("state"));
      assertEquals(6, run.getLong("total"));
      for (String id : ids) assertEquals("Bulk " + id, svc.http.get("/v1/accounts/" + id, ADMIN).json().getString("name"));

      // a restart in the middle: the run is in PostgreSQL and resumed by the instance that comes back
      long deadline = System.currentTimeMillis() + 60_000;
      while (get(bulkId).getJsonObject("counts").getLong("completed") < 2 && System.currentTimeMillis() < deadline) {
        TestService.sleep(100);
      }
      assertTrue(get(bulkId).getJsonObject("counts").getLong("queued") > 0, "the restart came too late to matter");
      svc.stopService();
      svc.start();

      JsonObject done = awaitBulk(bulkId, "done", 120_000);
      assertEquals(6, done.getJsonObject("counts").getLong("completed"), done.encode());
      assertNotNull(done.getString("finishedAt"));
      assertTrue(watch.max.get() <= 2, "at most 2 at once, saw " + watch.max.get());
      assertTrue(watch.max.get() >= 1);
      System.out.println("bulk: most accounts running at once " + watch.max.get() + " (concurrency 2)");
    }
    for (String id : ids) {
      SourceSnapshot source = TestService.await(Future.fromCompletionStage(
          SourceSnapshot.read(TestService.dynalite().client(), SourceTables.defaults(), id)));
      assertEquals(source.messageCount(), svc.count("select count(*) from messages where account_id = ?", id), id);
      assertEquals(Checksums.ofSource(source), Checksums.ofTarget(svc, id), id);
      assertEquals(2, svc.count("select priority from migration_jobs where account_id = ?", id), id + ": bulk priority");
    }
  }

  @Test
  void startsNoFasterThanTheRate() {
    List<String> ids = seed("br", 5, 3, 92);
    String bulkId = create(body(ids, 2, 10)).getString("bulkId");
    JsonObject done = awaitBulk(bulkId, "done", 90_000);
    assertEquals(5, done.getJsonObject("counts").getLong("completed"), done.encode());
    List<Long> started = new ArrayList<>();
    try (var c = svc.pg.connect(svc.database); var st = c.prepareStatement(
        "select (extract(epoch from started_at) * 1000)::bigint from bulk_run_accounts where bulk_id = ? order by started_at")) {
      st.setLong(1, Long.parseLong(bulkId));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) started.add(rs.getLong(1));
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    long span = started.get(started.size() - 1) - started.get(0);
    // 5 starts at 2/s: 2 s between the first and the last, less the driver's catch-up window
    assertTrue(span >= 2000 - BulkRunnerVerticle.BURST_WINDOW_MS - 100, "5 starts within " + span + " ms at 2/s");
    System.out.println("bulk: 5 starts at 2/s spread over " + span + " ms");
  }

  /**
   * The job runner has a lane per kind of work (migration.Lane): with MIGRATION_ACCOUNTS_PARALLEL 1 the
   * bulk's jobs queue for the one place in the recent-messages lane. The app's job joins that queue
   * after its channels; the next place must go to it, not to a bulk job that was waiting before it.
   *
   * <p>Judged from every state change of the jobs, recorded by a trigger this test installs: polling
   * the table missed waits shorter than a poll. A claim is stamped with its statement's start, so a
   * claim that began before the app's job was queued (and could not see it) is not counted against it.
   * Should the app's job find the lane free and never queue, there is nothing to compare, and another
   * app account starts (up to three).
   */
  @Test
  void anAppStartDuringABulkRunIsClaimedBeforeTheBulksWaitingJobs() {
    svc.execute("""
        create table if not exists test_job_changes (seq bigserial primary key, job_id bigint, account_id text,
          old_state text, state text, phase text, at timestamptz)""");
    svc.execute("""
        create or replace function test_record_job_change() returns trigger language plpgsql as $$
        begin
          insert into test_job_changes (job_id, account_id, old_state, state, phase, at)
          values (new.job_id, new.account_id, old.state, new.state, new.phase,
                  case when new.state = 'running' and old.state <> 'running' then now() else clock_timestamp() end);
          return null;
        end $$""");
    svc.execute("drop trigger if exists test_job_changes on migration_jobs");
    svc.execute("""
        create trigger test_job_changes after update on migration_jobs for each row
          when (old.state is distinct from new.state or old.phase is distinct from new.phase)
          execute function test_record_job_change()""");
    List<String> ids = seed("bp", 6, 40, 93);
    List<String> apps = seed("bp-app", 3, 3, 94);
    apps.forEach(svc::createAccount);
    String bulkId = create(body(ids, 50, 6)).getString("bulkId");
    String app = null;
    for (int attempt = 0; attempt < apps.size() && app == null; attempt++) {
      long deadline = System.currentTimeMillis() + 30_000;
      while (svc.count("select count(*) from migration_jobs where priority = 2 and account_id like 'bp-%' "
          + "and state = 'queued' and phase = 'recent'") < 2 && System.currentTimeMillis() < deadline) {
        TestService.sleep(20);
      }
      String candidate = apps.get(attempt);
      Http.Response start = svc.http.send("POST", "/v1/accounts/" + candidate + "/start-migration", svc.mobileToken(candidate), null, Map.of());
      assertEquals(202, start.status(), start.body());
      deadline = System.currentTimeMillis() + 60_000;
      while (svc.count("select count(*) from accounts where account_id = ? "
          + "and migration_status in ('recent_messages_only', 'completed')", candidate) == 0 && System.currentTimeMillis() < deadline) {
        TestService.sleep(20);
      }
      if (svc.count("select count(*) from test_job_changes where account_id = ? and state = 'queued' and phase = 'recent'", candidate) > 0) {
        app = candidate;
      }
    }
    assertNotNull(app, "none of " + apps.size() + " app accounts waited for the recent lane: nothing to compare");
    // bulk jobs queued for the recent lane when the app's job was (by their last change before it), and
    // entered the lane by a claim that began after it
    String waitingWithApp = """
        with app_queued as (
          select min(at) as at from test_job_changes where account_id = ? and state = 'queued' and phase = 'recent'),
        app_entered as (
          select min(c.at) as at from test_job_changes c, app_queued q
          where c.account_id = ? and c.old_state = 'queued' and c.state = 'running' and c.at >= q.at),
        waiting as (
          select distinct on (c.job_id) c.job_id, c.state, c.phase from test_job_changes c, app_queued q
          where c.account_id like 'bp-%' and c.account_id not like 'bp-app-%' and c.at < q.at
          order by c.job_id, c.seq desc)
        select count(*) filter (where e.at is null or e.at >= q.at) as waited,
               count(*) filter (where e.at >= q.at and e.at < a.at) as before_app
        from waiting w cross join app_queued q cross join app_entered a
        left join lateral (select min(at) as at from test_job_changes c
          where c.job_id = w.job_id and c.old_state = 'queued' and c.state = 'running' and c.phase = 'recent' and c.at >= q.at) e on true
        where w.state = 'queued' and w.phase = 'recent'""";
    long waited = svc.count("select waited from (" + waitingWithApp + ") r", app, app);
    long beforeApp = svc.count("select before_app from (" + waitingWithApp + ") r", app, app);
    assertTrue(waited > 0, "no bulk job waited for the recent lane with the app's");
    assertEquals(0, beforeApp, beforeApp + " of " + waited + " waiting bulk job(s) got the lane before the app's job");
    System.out.println("bulk: the app's job went before " + waited + " waiting bulk job(s)");
    svc.awaitStatus(app, "completed", 60_000);
    awaitBulk(bulkId, "done", 120_000);
  }

  @Test
  void aCancelledBulkRunStartsNoMoreAccounts() {
    List<String> ids = seed("bc", 5, 40, 95);
    String bulkId = create(body(ids, 0.5, 1)).getString("bulkId");
    long deadline = System.currentTimeMillis() + 20_000;
    while (get(bulkId).getJsonObject("counts").getLong("started") < 1 && System.currentTimeMillis() < deadline) {
      TestService.sleep(50);
    }
    Http.Response cancel = svc.http.post("/v1/bulk-runs/" + bulkId + "/cancel", ADMIN, "");
    assertEquals(200, cancel.status(), cancel.body());
    assertEquals("cancelled", cancel.json().getString("state"));
    assertTrue(cancel.json().getJsonObject("counts").getLong("cancelled") >= 3, cancel.body());
    Http.Response repeat = svc.http.post("/v1/bulk-runs/" + bulkId + "/cancel", ADMIN, "");
    assertEquals(200, repeat.status());
    assertEquals("cancelled", repeat.json().getString("state"));
    assertEquals(cancel.json().getJsonObject("counts").getLong("cancelled"), repeat.json().getJsonObject("counts").getLong("cancelled"));
    // a start already under way when the cancel came (Conversations asked, the start request sent) finishes
    TestService.sleep(1000);
    long accepted = svc.count("select count(*) from migration_jobs where account_id like 'bc-%'");
    assertTrue(accepted <= 2, accepted + " accounts started at 0.5/s with concurrency 1");
    TestService.sleep(4000);
    assertEquals(accepted, svc.count("select count(*) from migration_jobs where account_id like 'bc-%'"), "started after the cancel");
    assertEquals("cancelled", get(bulkId).getString("state"));
  }

  /** An operator's cancel and purge of one of its accounts: the bulk run settles it and still ends. */
  @Test
  void anAccountCancelledAndPurgedUnderTheRunIsSettledAndTheRunEnds() {
    List<String> ids = seed("bx", 1, 40, 96);
    String id = ids.get(0);
    String bulkId = create(body(ids, 10, 1)).getString("bulkId");
    long deadline = System.currentTimeMillis() + 20_000;
    while (svc.count("select count(*) from bulk_run_accounts where account_id = ? and state = 'started'", id) == 0
        && System.currentTimeMillis() < deadline) {
      TestService.sleep(20);
    }
    assertEquals(200, svc.http.post("/v1/accounts/" + id + "/migration/cancel", ADMIN, "").status());
    Http.Response purge = svc.http.post("/v1/accounts/" + id + "/purge", ADMIN, "");
    assertEquals(200, purge.status(), purge.body());
    JsonObject done = awaitBulk(bulkId, "done", 20_000);
    // settled as failed (cancelled) if the runner saw it between the two, else as skipped (purged)
    JsonObject counts = done.getJsonObject("counts");
    assertEquals(1, counts.getLong("failed") + counts.getLong("skipped"), done.encode());
    assertEquals(0, counts.getLong("started"), done.encode());
  }

  @Test
  void checksCredentialsBodiesAndIds() {
    JsonObject good = body(List.of("bv-1"), 1, 1);
    assertEquals(401, svc.http.post("/v1/bulk-runs", TestService.CONVERSATIONS_CALLER, good).status());
    assertEquals(401, svc.http.post("/v1/bulk-runs", svc.mobileToken("bv-1"), good).status());
    assertEquals(401, svc.http.get("/v1/bulk-runs/1", TestService.CONVERSATIONS_CALLER).status());
    assertEquals(401, svc.http.post("/v1/bulk-runs/1/cancel", null, "").status());
    long runs = svc.count("select count(*) from bulk_runs");
    List<JsonObject> bad = List.of(
        new JsonObject(),
        good.copy().put("accounts", new JsonArray()),
        good.copy().put("accounts", "bv-1"),
        good.copy().put("accounts", new JsonArray().add(new JsonObject().put("accountId", "bv-1"))),
        good.copy().put("accounts", new JsonArray().add(new JsonObject().put("accountId", "bv-1").put("name", "a"))
            .add(new JsonObject().put("accountId", "bv-1").put("name", "b"))),
        good.copy().put("accounts", new JsonArray().add(new JsonObject().put("accountId", "").put("name", "a"))),
        good.copy().put("ratePerSecond", 0),
        good.copy().put("ratePerSecond", "fast"),
        without(good, "ratePerSecond"),
        without(good, "accounts"),
        good.copy().put("concurrency", 0),
        good.copy().put("concurrency", 1.5),
        good.copy().putNull("concurrency"));
    for (JsonObject b : bad) {
      Http.Response r = svc.http.post("/v1/bulk-runs", ADMIN, b);
      assertEquals(400, r.status(), b.encode() + " → " + r.body());
      assertEquals("bad_request", r.error());
    }
    assertEquals(400, svc.http.post("/v1/bulk-runs", ADMIN, "{not json").status());
    assertEquals(runs, svc.count("select count(*) from bulk_runs"), "a refused body created a run");
    assertEquals(0, svc.count("select count(*) from accounts where account_id = 'bv-1'"), "a refused body created an account");

    for (String path : List.of("/v1/bulk-runs/999999", "/v1/bulk-runs/abc", "/v1/bulk-runs/0")) {
      Http.Response r = svc.http.get(path, ADMIN);
      assertEquals(404, r.status(), path);
      assertEquals("not_found", r.error());
      assertEquals(404, svc.http.post(path + "/cancel", ADMIN, "").status(), path);
    }

    // above the API's 16 KB and within the route's 1 MiB: taken (then cancelled at once)
    List<String> many = IntStream.range(0, 600).mapToObj(i -> "bv-many-" + i).toList();
    JsonObject big = body(many, 0.1, 1);
    assertTrue(big.encode().length() > 16 * 1024);
    Http.Response taken = svc.http.post("/v1/bulk-runs", ADMIN, big);
    assertEquals(201, taken.status(), taken.body());
    assertEquals(600, taken.json().getLong("total"));
    assertEquals(200, svc.http.post("/v1/bulk-runs/" + taken.json().getString("bulkId") + "/cancel", ADMIN, "").status());
    // over 1 MiB: 413
    StringBuilder huge = new StringBuilder("{\"accounts\":[");
    for (int i = 0; huge.length() < 1024 * 1024 + 10; i++) {
      huge.append(i == 0 ? "" : ",").append("{\"accountId\":\"bv-huge-").append(i).append("\",\"name\":\"x\"}");
    }
    huge.append("],\"ratePerSecond\":1,\"concurrency\":1}");
    Http.Response tooBig = svc.http.post("/v1/bulk-runs", ADMIN, huge.toString());
    assertEquals(413, tooBig.status());
    assertEquals(0, svc.count("select count(*) from accounts where account_id like 'bv-huge-%'"));
  }

  /** job id → {state, phase} of the bp- accounts' jobs */


  private static JsonObject without(JsonObject o, String field) {
    JsonObject copy = o.copy();
    copy.remove(field);
    return copy;
  }
}
