package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long threads (several 1 MB pages each) read many at a time: what a run holds read ahead stays near
 * MIGRATION_READ_AHEAD_BYTES, yet every message arrives, in a run that could not finish if the
 * thread being passed on ever waited for the budget. The same data with a large budget holds far more,
 * which is what the bound saves.
 */
@ExtendWith(VertxExtension.class)
class ReadAheadTest {
  private static final int THREADS = 10;
  private static final int BIG_MESSAGES_PER_THREAD = 30;
  private static final int BODY_CHARS = 100_000;
  private static final long MIB = 1024 * 1024;
  private static final long SMALL_BUDGET = MIB;
  /** the budget, plus what the thread being passed on may hold regardless (about five pages of 1 MB), plus one page */
  private static final long BOUND = SMALL_BUDGET + 6 * MIB;

  static TestService svc;
  static Vertx vertx;
  static List<String> accounts = List.of("ra-1", "ra-2");
  static SeedSummary seeded;
  static long expectedBodyChars;

  @BeforeAll
  static void seed(Vertx v) {
    vertx = v;
    svc = TestService.prepare(v);
    seeded = svc.seed(Profile.SAMPLE.withThreads(THREADS, THREADS).withAttachmentRatio(0), 91, accounts);
    String body = "x".repeat(BODY_CHARS);
    for (String id : accounts) {
      List<Future<?>> puts = new ArrayList<>();
      for (SeedSummary.ThreadOutcome t : seeded.account(id).threads()) {
        for (int i = 0; i < BIG_MESSAGES_PER_THREAD; i++) {
          Map<String, AttributeValue> item = Map.of("threadId", AttributeValue.fromS(t.threadId()),
              "messageId", AttributeValue.fromS(String.format("m-big-%03d", i)), "accountId", AttributeValue.fromS(id),
              "sentAt", AttributeValue.fromN("1"), "direction", AttributeValue.fromS("note"),
              "author", AttributeValue.fromM(Map.of("type", AttributeValue.fromS("system"))),
              "body", AttributeValue.fromS(body));
          puts.add(Future.fromCompletionStage(TestService.dynalite().client().putItem(PutItemRequest.builder()
              .tableName(svc.tables.messagesTable()).item(item).build())));
        }
      }
      TestService.await(Future.all(puts));
    }
    expectedBodyChars = (long) THREADS * BIG_MESSAGES_PER_THREAD * BODY_CHARS;
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void longThreadsReadManyAtOnceHoldLittleMoreThanTheBudgetAndAllArrive() {
    long peak = migrate("ra-1", SMALL_BUDGET);
    System.out.println("read-ahead peak with a budget of " + SMALL_BUDGET + ": " + peak);
    assertTrue(peak > 0, "nothing was counted as read ahead");
    assertTrue(peak <= BOUND, "read ahead peaked at " + peak + " bytes, the bound is " + BOUND);
  }

  @Test
  void withoutTheByteBoundTheSameThreadsHoldSeveralTimesMore() {
    long peak = migrate("ra-2", 1024 * MIB);
    System.out.println("read-ahead peak without a bound: " + peak);
    assertTrue(peak > BOUND, "read ahead peaked at " + peak + " bytes: the data does not test the bound");
  }

  /** Migrates the account on a fresh instance with this budget; answers the instance's read-ahead peak. */
  private static long migrate(String id, long budget) {
    svc.stopService();
    svc.configure(c -> c.put("MIGRATION_THREAD_CONCURRENCY", 16).put("MIGRATION_READ_AHEAD_BYTES", budget)
        .put("MIGRATION_BATCH_SIZE", 50)).start();
    svc.createAccount(id);
    svc.startMigration(id, false);
    svc.awaitStatus(id, "completed", 60_000);
    long expectedMessages = seeded.account(id).goodMessages() + (long) THREADS * BIG_MESSAGES_PER_THREAD;
    assertEquals(expectedMessages, svc.count("select count(*) from messages where account_id = ?", id));
    assertEquals(expectedBodyChars, svc.count(
        "select coalesce(sum(length(body)), 0) from messages where account_id = ? and message_id like 'm-big-%'", id));
    assertEquals(0, svc.count("select count(*) from dead_letters where account_id = ?", id));
    String metrics = svc.http.get("/metrics", TestService.ADMIN).body();
    assertEquals(0, gauge(metrics, "migrator_read_ahead_bytes"), "bytes still counted after the run");
    return gauge(metrics, "migrator_read_ahead_peak_bytes");
  }

  private static long gauge(String metrics, String name) {
    Matcher m = Pattern.compile("^" + name + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
    assertTrue(m.find(), "no " + name + " in /metrics");
    return (long) Double.parseDouble(m.group(1));
  }
}
