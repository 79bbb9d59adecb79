package dev.helpdesk.migrator.notify;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.support.Http;
import dev.helpdesk.migrator.support.ServiceProcess;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two service JVMs on one database, both polling the outbox every 100 ms: each event is posted once,
 * the webhook's secret path is in no log line, and an event whose poster dies mid-post is posted by
 * the other once the claim expires (the last test kills one instance).
 */
@ExtendWith(VertxExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotifierInstancesTest {
  static final long TIMEOUT_MS = 3000;
  static final long PG_QUERY_TIMEOUT_MS = 2000;
  static TestService env;
  static Receiver receiver;
  static List<ServiceProcess> instances = new ArrayList<>();

  @BeforeAll
  static void start(Vertx vertx) {
    receiver = Receiver.start(vertx);
    env = TestService.prepare(vertx).configure(c -> c.put("CONFIG_FILE", "conf/config.json")
        .put("LOG_LEVEL", "DEBUG")
        .put("NOTIFY_WEBHOOK_URL", receiver.url())
        .put("NOTIFY_POLL_MS", 100)
        .put("NOTIFY_TIMEOUT_MS", TIMEOUT_MS)
        .put("NOTIFY_BACKOFF_BASE_MS", 200)
        .put("NOTIFY_BACKOFF_MAX_MS", 400)
        .put("NOTIFY_MAX_ATTEMPTS", 4)
        .put("NOTIFY_DEAD_LETTER_WARN", 1)
        .put("PG_QUERY_TIMEOUT_MS", PG_QUERY_TIMEOUT_MS)
        .put("MIGRATION_MAX_FAILURE_RATIO", 0.9));
    for (int i = 0; i < 2; i++) instances.add(ServiceProcess.start("notify-" + i, env.config));
  }

  @AfterAll
  static void stop() {
    instances.forEach(ServiceProcess::close);
    env.close();
    receiver.close();
  }

  private static String leaseOwner(String accountId) {
    try (var c = env.pg.connect(env.database);
         var st = c.prepareStatement("select lease_owner from notifications where account_id = ?")) {
      st.setString(1, accountId);
      try (var rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void start(int instance, String id) {
    Http http = instances.get(instance).http;
    http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id).put("name", id));
    var r = http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id));
    assertEquals(202, r.status(), r.body());
  }

  @Test
  @Order(1)
  void everyEventIsPostedOnceAcrossTwoInstances() {
    List<String> failing = new ArrayList<>();
    for (int i = 0; i < 8; i++) failing.add("ni-fail-" + i);
    failing.forEach(env.simulator.faults()::addUnknownAccount);
    env.seed(Profile.DIRTY.withThreads(15, 15), 321, List.of("ni-dirty"));
    start(0, "ni-dirty");
    for (int i = 0; i < failing.size(); i++) start(i % 2, failing.get(i));
    // the second failure of each account comes from a resumed run
    for (String id : failing) receiver.await(id, "migration_failed", 1, 30_000);
    for (int i = 0; i < failing.size(); i++) start((i + 1) % 2, failing.get(i));
    for (String id : failing) receiver.await(id, "migration_failed", 2, 30_000);
    env.awaitStatus("ni-dirty", "completed", 90_000, instances.get(1).http);
    receiver.await("ni-dirty", "dead_letters", 1, 10_000);

    TestService.sleep(1500); // fifteen polls of each instance: a duplicate would be here by now
    for (String id : failing) {
      assertEquals(2, receiver.posts(id, null).size(), id + ": " + receiver.posts(id, null));
    }
    assertEquals(1, receiver.posts("ni-dirty", null).size(), receiver.posts("ni-dirty", null).toString());
    assertEquals(17, receiver.posts().size(), receiver.posts().toString());
    assertEquals(17, env.count("select count(*) from notifications where state = 'sent' and attempts = 1"));
  }

  @Test
  @Order(2)
  void theWebhooksSecretPathIsInNoLogLineEvenWhenAPostTimesOut() {
    // a post held past NOTIFY_TIMEOUT_MS: Vert.x's time-out message quotes the request's path
    String id = "ni-slow";
    receiver.script(id, Receiver.HOLD, 200);
    env.simulator.faults().addUnknownAccount(id);
    start(0, id);
    List<Receiver.Post> posts = receiver.await(id, "migration_failed", 2, 30_000);
    assertEquals(200, posts.get(1).answered());
    String secret = Receiver.SECRET_PATH.substring(Receiver.SECRET_PATH.lastIndexOf('/') + 1);
    TestService.sleep(500);
    String logs = instances.get(0).log() + instances.get(1).log();
    assertTrue(logs.contains("attempt 1 of 4 failed"), "the time-out should be logged");
    for (String line : logs.split("\n")) {
      assertFalse(line.contains(secret) || line.contains("B0SCAN"), "a log line holds the webhook's secret: " + line);
    }
  }

  @Test
  @Order(3)
  void anEventWhosePosterDiesMidPostIsPostedByTheOtherInstance() {
    String id = "ni-crash";
    receiver.script(id, Receiver.HOLD, 200);
    env.simulator.faults().addUnknownAccount(id);
    start(1, id);
    receiver.await(id, "migration_failed", 1, 30_000);
    String owner = leaseOwner(id);
    assertNotNull(owner, "the event is claimed while its post is held");
    ServiceProcess poster = null;
    for (ServiceProcess p : instances) {
      if (p.log().contains("failure notifications on as " + owner)) poster = p;
    }
    assertNotNull(poster, "no instance logged the owner " + owner);
    long killedAt = System.currentTimeMillis();
    poster.kill();

    List<Receiver.Post> posts = receiver.await(id, "migration_failed", 2, 30_000);
    long after = posts.get(1).atMs() - killedAt;
    System.out.println("notification of a dead poster re-sent " + after + " ms after the kill");
    assertEquals(200, posts.get(1).answered());
    // the claim outlives the post's time-out: 2 x NOTIFY_TIMEOUT_MS + PG_QUERY_TIMEOUT_MS
    assertTrue(after < 2 * TIMEOUT_MS + PG_QUERY_TIMEOUT_MS + 5000, after + " ms");
    TestService.sleep(1000);
    assertEquals(2, receiver.posts(id, null).size());
    assertEquals(1, env.count("select count(*) from notifications where account_id = ? and state = 'sent' and attempts = 2", id));
  }
}
