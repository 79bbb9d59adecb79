package dev.helpdesk.migrator.notify;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.ops.Meters;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Failure notifications end to end: real migrations fail (Conversations does not know the account)
 * or leave dead letters (the DIRTY profile), and a local receiver records what the webhook gets.
 */
@ExtendWith(VertxExtension.class)
class NotificationsTest {
  static final long BACKOFF_BASE_MS = 400;
  static final int WARN = 5;
  static TestService svc;
  static Receiver receiver;

  @BeforeAll
  static void start(Vertx vertx) {
    receiver = Receiver.start(vertx);
    svc = TestService.prepare(vertx).configure(c -> c
        .put("NOTIFY_WEBHOOK_URL", receiver.url())
        .put("NOTIFY_POLL_MS", 200)
        .put("NOTIFY_BACKOFF_BASE_MS", BACKOFF_BASE_MS)
        .put("NOTIFY_BACKOFF_MAX_MS", 2000)
        .put("NOTIFY_MAX_ATTEMPTS", 3)
        .put("NOTIFY_TIMEOUT_MS", 2000)
        .put("NOTIFY_DEAD_LETTER_WARN", WARN)
        // the DIRTY account must complete with its dead letters, not fail on them
        .put("MIGRATION_MAX_FAILURE_RATIO", 0.9)
        .put("MIGRATION_BATCH_SIZE", 50)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
    receiver.close();
  }

  /** An account Conversations does not know fails in the channels phase with a reason. */
  private static JsonObject failAccount(String id) {
    svc.simulator.faults().addUnknownAccount(id);
    svc.startMigration(id, false);
    return svc.awaitStatus(id, "failed", 20_000);
  }

  @Test
  void aFailedMigrationIsPostedOnceWithItsReasonAndAgainWhenTheResumedRunFailsAgain() {
    String id = "nt-fail";
    svc.createAccount(id);
    JsonObject failed = failAccount(id);

    List<Receiver.Post> posts = receiver.await(id, "migration_failed", 1, 10_000);
    TestService.sleep(1500); // several polls: a second post would have come by now
    posts = receiver.posts(id, null);
    assertEquals(1, posts.size(), posts.toString());
    JsonObject body = posts.get(0).body();
    assertEquals(Receiver.SECRET_PATH, posts.get(0).path());
    assertEquals(id, body.getString("accountId"));
    assertEquals(failed.getString("failureReason"), body.getString("failureReason"));
    assertTrue(body.getString("failureReason").startsWith("conversations_unknown_account"), body.encode());
    assertTrue(body.getString("text").contains(id) && body.getString("text").contains("conversations_unknown_account"),
        body.encode());
    assertEquals(svc.count("select max(job_id) from migration_jobs where account_id = ?", id), body.getLong("jobId"));
    assertFalse(body.encode().contains(TestService.SIM_CONVERSATIONS_TOKEN) || body.encode().contains(TestService.ADMIN));
    assertEquals(1, svc.count("select count(*) from notifications where account_id = ? and state = 'sent'", id));

    // the app's retry resumes the same job, which fails again: a new failure, a new post
    svc.startMigration(id, false);
    svc.awaitStatus(id, "failed", 20_000);
    receiver.await(id, "migration_failed", 2, 10_000);
    TestService.sleep(1500);
    assertEquals(2, receiver.posts(id, null).size(), receiver.posts(id, null).toString());
  }

  @Test
  void aReceiverAnswering500TwiceThenOkGetsTheEventOnTheThirdAttemptAfterBackOff() {
    String id = "nt-retry";
    receiver.script(id, 500, 500, 200);
    double failedBefore = counter("failed");
    double sentBefore = counter("sent");
    svc.createAccount(id);
    failAccount(id);

    List<Receiver.Post> posts = receiver.await(id, "migration_failed", 3, 15_000);
    TestService.sleep(2000);
    posts = receiver.posts(id, null);
    assertEquals(3, posts.size(), posts.toString());
    assertEquals(List.of(500, 500, 200), posts.stream().map(Receiver.Post::answered).toList());
    long gap1 = posts.get(1).atMs() - posts.get(0).atMs();
    long gap2 = posts.get(2).atMs() - posts.get(1).atMs();
    System.out.println("notification retries: gaps " + gap1 + " ms, " + gap2 + " ms");
    // the n-th wait lies in [b/2, b], b = base * 2^(n-1): the second wait is at least the first's ceiling
    assertTrue(gap1 >= BACKOFF_BASE_MS / 2, "first back-off " + gap1);
    assertTrue(gap2 >= BACKOFF_BASE_MS, "second back-off " + gap2);
    assertTrue(gap1 < 5000 && gap2 < 5000, "retries wait their back-off, not longer: " + gap1 + ", " + gap2);
    assertEquals(posts.get(0).body(), posts.get(2).body());
    assertEquals(1, svc.count("select count(*) from notifications where account_id = ? and state = 'sent' and attempts = 3", id));
    assertEquals(2, counter("failed") - failedBefore, 0.0);
    assertEquals(1, counter("sent") - sentBefore, 0.0);
  }

  @Test
  void aReceiverRefusingTheHookIsNotRetriedAndTheEventIsGivenUp() {
    String id = "nt-gone";
    receiver.script(id, 404, 200);
    svc.createAccount(id);
    failAccount(id);
    receiver.await(id, "migration_failed", 1, 10_000);
    TestService.sleep(2000);
    assertEquals(1, receiver.posts(id, null).size());
    assertEquals("webhook answered 404", lastError(id));
  }

  @Test
  void aRedirectIsNotFollowedAndTheEventIsGivenUp() {
    String id = "nt-moved";
    receiver.script(id, 302, 200);
    svc.createAccount(id);
    failAccount(id);
    receiver.await(id, "migration_failed", 1, 10_000);
    TestService.sleep(2000);
    assertEquals(1, receiver.posts().stream().filter(p -> id.equals(p.body().getString("accountId"))).count(),
        receiver.posts().toString());
    assertTrue(receiver.posts().stream().noneMatch(p -> p.path().startsWith("/redirected")), receiver.posts().toString());
    assertEquals("webhook answered 302", lastError(id));
  }

  @Test
  void deadLettersOverTheWarningLevelArePostedOncePerRun() {
    String id = "nt-dirty";
    svc.seed(Profile.DIRTY, 304, List.of(id));
    svc.createAccount(id);
    svc.startMigration(id, false);
    svc.awaitStatus(id, "completed", 90_000);
    long open = svc.count("select count(*) from dead_letters where account_id = ? and resolved_at is null", id);
    assertTrue(open >= WARN, "the DIRTY profile should leave at least " + WARN + " dead letters, left " + open);

    List<Receiver.Post> posts = receiver.await(id, "dead_letters", 1, 10_000);
    TestService.sleep(1500);
    posts = receiver.posts(id, null);
    assertEquals(1, posts.size(), posts.toString());
    JsonObject body = posts.get(0).body();
    // counted when the level was reached, possibly mid-run: at least the level, at most what is open now
    long counted = body.getLong("deadLetters");
    assertTrue(counted >= WARN && counted <= open, body.encode());
    assertEquals(WARN, body.getInteger("warnLevel"));
    assertEquals(svc.count("select max(job_id) from migration_jobs where account_id = ?", id), body.getLong("jobId"));
    assertTrue(body.getString("text").contains(id), body.encode());
  }

  private static String lastError(String id) {
    try (var c = svc.pg.connect(svc.database);
         var st = c.prepareStatement("select state || ' ' || last_error from notifications where account_id = ?")) {
      st.setString(1, id);
      try (var rs = st.executeQuery()) {
        assertTrue(rs.next());
        String s = rs.getString(1);
        assertTrue(s.startsWith("given_up "), s);
        return s.substring("given_up ".length());
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double counter(String outcome) {
    Matcher m = Pattern.compile("(?m)^migrator_notifications_total\\{outcome=\"" + outcome + "\"\\} (\\S+)$")
        .matcher(Meters.scrape());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
