package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.migrator.support.Http.Response;
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
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/** Three service JVMs on one database. */
@ExtendWith(VertxExtension.class)
class ThreeInstancesTest {
  static TestService env;
  static List<ServiceProcess> instances = new ArrayList<>();

  @BeforeAll
  static void start(Vertx vertx) {
    // No instance dies here, so a second claim of a job can only be a claim bug, provided no lease
    // expires on its own: a loaded machine once held a heartbeat past the tests' usual 3 s lease and
    // a job was (correctly) taken over, so these instances keep their leases 20 s.
    env = TestService.prepare(vertx).configure(c -> c.put("CONFIG_FILE", "conf/config.json")
        .put("MIGRATION_ACCOUNTS_PARALLEL", 4)
        .put("MIGRATION_LEASE_TTL_MS", 20_000)
        .put("MIGRATION_HEARTBEAT_MS", 2000));
    for (int i = 0; i < 3; i++) instances.add(ServiceProcess.start("three-" + i, env.config));
  }

  @AfterAll
  static void stop() {
    instances.forEach(ServiceProcess::close);
    env.close();
  }

  @Test
  void twoHundredConcurrentStartsForOneAccountAcrossThreeInstancesAcceptExactlyOne() throws Exception {
    String id = "three-race";
    env.seed(Profile.SAMPLE.withThreads(2, 2).withAttachmentRatio(0), 91, List.of(id));
    instances.get(0).http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id).put("name", id));
    String jwt = env.mobileToken(id);
    List<Callable<Response>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      var http = instances.get(i % 3).http;
      calls.add(i % 2 == 0
          ? () -> http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id))
          : () -> http.post("/v1/accounts/" + id + "/start-migration", jwt, ""));
    }
    ExecutorService pool = Executors.newFixedThreadPool(32);
    int accepted = 0;
    int serverErrors = 0;
    for (Future<Response> f : pool.invokeAll(calls)) {
      Response r = f.get();
      if (r.status() >= 500) serverErrors++;
      else if (r.json().getBoolean("accepted")) accepted++;
    }
    pool.shutdown();
    assertEquals(0, serverErrors);
    assertEquals(1, accepted);
    assertEquals(1, env.count("select count(*) from migration_jobs where account_id = ?", id));
  }

  @Test
  void twoHundredQueuedAccountsAllFinishWithoutOverlapOrDuplicates() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 200; i++) ids.add("three-q-" + i);
    SeedSummary seeded = env.seed(Profile.SAMPLE.withThreads(2, 2).withMeanMessagesPerThread(2).withAttachmentRatio(0), 92, ids);
    for (int i = 0; i < ids.size(); i++) {
      var http = instances.get(i % 3).http;
      http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", ids.get(i)).put("name", "q"));
      assertEquals(202, http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", ids.get(i))).status());
    }
    long deadline = System.currentTimeMillis() + 240_000;
    long terminal;
    do {
      TestService.sleep(500);
      terminal = env.count("select count(*) from accounts where account_id like 'three-q-%' "
          + "and migration_status in ('completed', 'failed')");
    } while (terminal < ids.size() && System.currentTimeMillis() < deadline);
    assertEquals(ids.size(), terminal, "accounts in a terminal state");
    assertEquals(ids.size(), env.count("select count(*) from accounts where account_id like 'three-q-%' and migration_status = 'completed'"));
    assertEquals(ids.size(), env.count("select count(*) from migration_jobs where account_id like 'three-q-%' "
        + "and state = 'done' and attempts = 1"), "every job claimed exactly once: no two owners");
    long expectedMessages = ids.stream().mapToLong(id -> seeded.account(id).goodMessages()).sum();
    assertEquals(expectedMessages, env.count("select count(*) from messages where account_id like 'three-q-%'"));
    assertEquals(0, env.count("select count(*) from (select thread_id from threads where account_id like 'three-q-%' "
        + "group by thread_id having count(*) > 1) d"));
  }
}
