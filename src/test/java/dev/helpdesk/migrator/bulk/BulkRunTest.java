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
import java.util.HashMap;
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
   */
  @Test
  void anAppStartDuringABulkRunIsClaimedBeforeTheBulksWaitingJobs() {
    List<String> ids = seed("bp", 5, 40, 93);
    seed("bp-app", 1, 3, 94);
    String app = "bp-app-0";
    svc.createAccount(app);
    String bulkId = create(body(ids, 50, 5)).getString("bulkId");
    long deadline = System.currentTimeMillis() + 30_000;
    while (svc.count("select count(*) from migration_jobs where priority = 2 and account_id like 'bp-%' "
        + "and state = 'queued' and phase = 'recent'") < 2 && System.currentTimeMillis() < deadline) {
      TestService.sleep(20);
    }
    Http.Response start = svc.http.send("POST", "/v1/accounts/" + app + "/start-migration", svc.mobileToken(app), null, Map.of());
    assertEquals(202, start.status(), start.body());
    long appJob = svc.count("select job_id from migration_jobs where account_id = ?", app);

    List<Long> waitingWithApp = null; // bulk jobs queued for the recent lane when the app's job queued for it
    Map<Long, Long> entered = new HashMap<>(); // job → first poll that saw it in the recent lane or past it
    long poll = 0;
    deadline = System.currentTimeMillis() + 60_000;
    while (!entered.containsKey(appJob) && System.currentTimeMillis() < deadline) {
      poll++;
      List<Long> queuedForRecent = new ArrayList<>();
      boolean appQueuedForRecent = false;
      for (Map.Entry<Long, String[]> j : jobStates().entrySet()) {
        String state = j.getValue()[0];
        String phase = j.getValue()[1];
        boolean queuedRecent = state.equals("queued") && phase.equals("recent");
        if (queuedRecent && j.getKey() == appJob) appQueuedForRecent = true;
        else if (queuedRecent) queuedForRecent.add(j.getKey());
        if (!phase.equals("channels") && !queuedRecent) entered.putIfAbsent(j.getKey(), poll);
      }
      if (appQueuedForRecent && waitingWithApp == null) waitingWithApp = queuedForRecent;
      TestService.sleep(10);
    }
    assertTrue(entered.containsKey(appJob), "the app's job never got into the recent lane");
    assertNotNull(waitingWithApp, "the app's job never waited for the recent lane: nothing to compare");
    assertFalse(waitingWithApp.isEmpty(), "no bulk job waited for the recent lane with the app's");
    for (long job : waitingWithApp) {
      Long when = entered.get(job);
      assertTrue(when == null || when >= entered.get(appJob), "bulk job " + job + " got the lane before the app's job");
    }
    System.out.println("bulk: the app's job went before " + waitingWithApp.size() + " waiting bulk job(s)");
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
  private static Map<Long, String[]> jobStates() {
    Map<Long, String[]> out = new HashMap<>();
    try (var c = svc.pg.connect(svc.database);
         var st = c.prepareStatement("select job_id, state, phase from migration_jobs where account_id like 'bp-%'");
         ResultSet rs = st.executeQuery()) {
      while (rs.next()) out.put(rs.getLong(1), new String[] {rs.getString(2), rs.getString(3)});
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private static JsonObject without(JsonObject o, String field) {
    JsonObject copy = o.copy();
    copy.remove(field);
    return copy;
  }
}
