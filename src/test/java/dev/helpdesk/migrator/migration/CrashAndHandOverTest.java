package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.migrator.support.ServiceProcess;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/** Several service JVMs on one database, and one of them killed with SIGKILL mid-run. */
@ExtendWith(VertxExtension.class)
class CrashAndHandOverTest {
  private static final Pattern CLAIM = Pattern.compile("account (\\S+) job \\d+: running from phase");
  static TestService env;

  @BeforeAll
  static void start(Vertx vertx) {
    // neighbours only: the instances under test are child JVMs
    env = TestService.prepare(vertx).configure(c -> c
        .put("MIGRATION_ACCOUNTS_PARALLEL", 2)
        .put("MIGRATION_BATCH_SIZE", 50)
        .put("MIGRATION_PROGRESS_INTERVAL_MS", 100)
        // the 120-thread account takes seconds whatever the machine's speed, so the kill lands mid-run
        .put("DYNAMODB_READ_RATE_TOTAL", 40)
        .put("CONFIG_FILE", "conf/config.json"));
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  @Test
  void twoInstancesShareTwentyAccountsWithoutOverlapAndWithExactData() {
    List<String> accounts = new ArrayList<>();
    for (int i = 0; i < 20; i++) accounts.add("ho-share-" + i);
    SeedSummary seeded = env.seed(Profile.SAMPLE.withThreads(3, 3).withAttachmentRatio(0.0), 51, accounts);
    try (ServiceProcess a = ServiceProcess.start("a", env.config); ServiceProcess b = ServiceProcess.start("b", env.config)) {
      for (String id : accounts) {
        a.http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id).put("name", id));
        assertEquals(202, (id.hashCode() % 2 == 0 ? a : b).http
            .post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id)).status());
      }
      awaitAll(accounts, "completed", 120_000);
      // a job may move between the instances at a lane boundary (handed back, then claimed by
      // whichever has room); never two owners at once, which the attempts below would count
      Set<String> ranByA = claimed(a.log());
      Set<String> ranByB = claimed(b.log());
      Set<String> all = new HashSet<>(ranByA);
      all.addAll(ranByB);
      assertEquals(new HashSet<>(accounts), all);
      assertFalse(ranByA.isEmpty() || ranByB.isEmpty(), "both instances took work: A " + ranByA.size() + ", B " + ranByB.size());
      for (String id : accounts) {
        var s = seeded.account(id);
        assertEquals(s.goodMessages(), env.count("select count(*) from messages where account_id = ?", id), id);
        assertEquals(s.goodThreads(), env.count("select count(*) from threads where account_id = ?", id), id);
      }
      assertEquals(20, env.count("select count(*) from migration_jobs where attempts = 1 and state = 'done'"),
          "no job was taken over: every claim but the first followed a hand-back");
    }
  }

  @Test
  void anInstanceKilledMidRunHandsItsJobOverWithinLeaseTtlPlusASweep() {
    String id = "ho-kill";
    SeedSummary seeded = env.seed(Profile.TYPICAL.withThreads(120, 120).withAttachmentRatio(0.0), 52, List.of(id));
    try (ServiceProcess a = ServiceProcess.start("a", env.config); ServiceProcess b = ServiceProcess.start("b", env.config)) {
      a.http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id).put("name", id));
      a.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id));
      awaitMessages(id, 1, 60_000);
      ServiceProcess victim = claimed(a.log()).contains(id) ? a : b;
      ServiceProcess heir = victim == a ? b : a;
      victim.kill();
      long killedAt = System.currentTimeMillis();
      assertNotEquals("completed", status(id), "the kill landed mid-run");

      awaitAll(List.of(id), "completed", 120_000);
      long handOver = firstClaimTime(heir.log()) - killedAt;
      System.out.println("hand-over after kill -9: " + handOver + " ms");
      // lease TTL 3 s + one 0.5 s sweep, plus log-timestamp and scheduling slack
      assertTrue(handOver <= 3_000 + 500 + 1_000, "hand-over took " + handOver + " ms");
    }
    var s = seeded.account(id);
    assertEquals(s.goodMessages(), env.count("select count(*) from messages where account_id = ?", id));
    assertEquals(s.goodThreads(), env.count("select count(*) from threads where account_id = ?", id));
    assertEquals(env.count("select count(*) from messages where account_id = ?", id),
        env.count("select coalesce(sum(message_count), 0) from threads where account_id = ?", id));
  }

  private static Set<String> claimed(String log) {
    Set<String> ids = new HashSet<>();
    Matcher m = CLAIM.matcher(log);
    while (m.find()) ids.add(m.group(1));
    return ids;
  }

  /** The wall-clock time of the heir's first claim, read from its log line's HH:mm:ss.SSS prefix. */
  private static long firstClaimTime(String log) {
    for (String line : log.split("\n")) {
      if (CLAIM.matcher(line).find()) {
        java.time.LocalTime t = java.time.LocalTime.parse(line.substring(0, 12));
        return java.time.LocalDate.now(java.time.ZoneId.systemDefault()).atTime(t)
            .atZone(java.time.ZoneId.systemDefault()).toInstant().toEpochMilli();
      }
    }
    throw new AssertionError("the heir never claimed a job:\n" + log);
  }

  private static String status(String id) {
    return env.count("select count(*) from accounts where account_id = ? and migration_status = 'completed'", id) == 1
        ? "completed" : "not completed";
  }

  private static void awaitAll(List<String> ids, String status, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      long done = env.count("select count(*) from accounts where account_id = any(?) and migration_status = ?",
          ids.toArray(String[]::new), status);
      if (done == ids.size()) return;
      TestService.sleep(200);
    }
    fail("not all of " + ids.size() + " accounts reached " + status + " in " + timeoutMs + " ms");
  }

  private static void awaitMessages(String id, long atLeast, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (env.count("select count(*) from messages where account_id = ?", id) >= atLeast) return;
      TestService.sleep(20);
    }
    fail("no message of " + id + " was written in " + timeoutMs + " ms");
  }
}
