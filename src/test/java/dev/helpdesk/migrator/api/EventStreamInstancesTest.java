package dev.helpdesk.migrator.api;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.api.SseClient.Item;
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

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The progress stream served by one instance (B, in this JVM) while another (A, its own JVM) runs
 * the job: B learns of A's writes only through PostgreSQL. B never sweeps for queued jobs and A's
 * wake-up reaches only A's event bus, so the job can only be A's; the test checks it holds the lease.
 */
@ExtendWith(VertxExtension.class)
class EventStreamInstancesTest {
  static TestService b;
  static ServiceProcess a;

  @BeforeAll
  static void start(Vertx vertx) {
    b = TestService.prepare(vertx).configure(c -> c.put("DYNAMODB_READ_RATE_TOTAL", 15).put("SSE_HEARTBEAT_MS", 500));
    JsonObject forA = b.config.copy();
    b.configure(c -> c.put("MIGRATION_SWEEP_MS", 600_000)).start();
    a = ServiceProcess.start("events-a", forA);
  }

  @AfterAll
  static void stop() {
    if (a != null) a.close();
    b.close();
  }

  @Test
  void aStreamOnOneInstanceFollowsTheRunOfAnother() throws Exception {
    String id = "ev-ab";
    b.seed(Profile.SAMPLE.withThreads(20, 20).withAttachmentRatio(0), 62, List.of(id));
    assertEquals(201, a.http.post("/v1/accounts", CONVERSATIONS_CALLER,
        new JsonObject().put("accountId", id).put("name", "AB")).status());
    b.simulator.faults().latencyMs(300);
    try (SseClient s = SseClient.open(b.http.base(), "/v1/accounts/" + id + "/migration/events", b.mobileToken(id), null)) {
      assertEquals(200, s.status, s.body);
      List<Item> events = new ArrayList<>();
      events.add(s.nextEvent(5000));
      assertEquals("not_started", events.get(0).json().getString("migrationStatus"));
      assertEquals(202, a.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id)).status());

      boolean leaseChecked = false;
      long deadline = System.currentTimeMillis() + 90_000;
      Item end = null;
      while (end == null && System.currentTimeMillis() < deadline) {
        Item i = s.nextEvent(deadline - System.currentTimeMillis());
        if (i == null) break;
        if (i.end()) {
          end = i;
          break;
        }
        events.add(i);
        if (!leaseChecked && "channels_only".equals(i.json().getString("migrationStatus"))) {
          // mid-run: the job is leased, and by A
          assertEquals(1, b.count("select count(*) from migration_jobs where account_id = ? and lease_owner = ?",
              id, a.instanceId()), "A runs the job");
          leaseChecked = true;
        }
      }
      assertNotNull(end, "the stream ends after completed; events: " + events.size());
      assertTrue(leaseChecked);

      List<String> statuses = new ArrayList<>();
      for (Item e : events) {
        String st = e.json().getString("migrationStatus");
        if (statuses.isEmpty() || !statuses.get(statuses.size() - 1).equals(st)) statuses.add(st);
      }
      assertEquals(List.of("not_started", "migrating", "channels_only", "recent_messages_only", "completed"), statuses);
      for (int i = 1; i < events.size(); i++) {
        assertTrue(events.get(i).idNumber() > events.get(i - 1).idNumber(), "ids increase");
      }
      assertTrue(events.size() >= 7, "progress events between the statuses: " + events.size());
      assertEquals(b.http.get("/v1/accounts/" + id, ADMIN).json(), events.get(events.size() - 1).json());
      assertEquals(a.http.get("/v1/accounts/" + id, ADMIN).json(), events.get(events.size() - 1).json());
      assertEquals(1, b.count("select count(*) from migration_jobs where account_id = ? and state = 'done' and attempts = 1", id));
    } finally {
      b.simulator.faults().latencyMs(0);
    }
  }
}
