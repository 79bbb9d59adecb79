package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * CONTRACT §5 with vertx-health-check: both routes without a credential, every dependency in the
 * body, readiness following PostgreSQL only: a Conversations outage (breaker open) or an
 * unreachable DynamoDB is reported while the instance stays ready; a database that refuses
 * connections makes it unready (503) while it stays live, and ready again once it is back.
 */
@ExtendWith(VertxExtension.class)
class HealthTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c.put("BREAKER_RESET_TIMEOUT_MS", 60_000)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aHealthyInstanceReportsEveryDependencyUp() {
    for (String path : List.of("/health/live", "/health/ready")) {
      Response r = svc.http.get(path, null);
      assertEquals(200, r.status(), path + " " + r.body());
      JsonObject body = r.json();
      assertEquals("UP", body.getString("status"));
      Map<String, String> checks = checks(body);
      assertEquals(Map.of("postgresql", "UP", "dynamodb", "UP", "conversations", "UP",
          "breaker-conversations", "UP", "breaker-media", "UP"), checks, body.encodePrettily());
      assertEquals("UP", body.getJsonObject("postgresql").getString("status"));
      assertEquals("UP", body.getJsonObject("dynamodb").getString("status"));
      assertEquals("CLOSED", body.getJsonObject("conversations").getString("breaker"));
      assertEquals(new JsonObject().put("conversations", "CLOSED").put("media", "CLOSED"), body.getJsonObject("breakers"));
    }
  }

  @Test
  void aConversationsOutageIsReportedButTheInstanceStaysReady() {
    try {
      svc.simulator.faults().reset().outage(true);
      String token = svc.mobileToken("hl-unchecked-1", "hl-unchecked-2");
      svc.createAccount("hl-unchecked-1");
      svc.createAccount("hl-unchecked-2");
      long deadline = System.currentTimeMillis() + 30_000;
      Response ready;
      do {
        assertEquals(200, svc.http.get("/v1/accounts", token).status()); // each asks Conversations, and fails
        ready = svc.http.get("/health/ready", null);
      } while (!"OPEN".equals(ready.json().getJsonObject("breakers").getString("conversations"))
          && System.currentTimeMillis() < deadline);
      assertEquals(200, ready.status(), ready.body());
      JsonObject body = ready.json();
      assertEquals("UP", body.getString("status"));
      assertEquals("DOWN", body.getJsonObject("conversations").getString("status"), body.encodePrettily());
      assertEquals("OPEN", body.getJsonObject("conversations").getString("breaker"));
      assertEquals("DOWN", checks(body).get("breaker-conversations"));
      assertEquals("UP", checks(body).get("postgresql"));
      assertEquals("UP", checks(body).get("breaker-media"));
      assertEquals(200, svc.http.get("/health/live", null).status());
    } finally {
      svc.simulator.faults().reset();
    }
  }

  @Test
  void anUnreachableDynamoDbIsReportedButTheInstanceStaysReady() throws Exception {
    // a Vert.x of its own: two services on one event bus would answer each other's health requests
    Vertx vertx = Vertx.vertx();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    int port = closedPort;
    TestService other = TestService.prepare(vertx).configure(c -> c.put("DYNAMODB_ENDPOINT", "http://127.0.0.1:" + port)
        .put("DYNAMODB_CALL_TIMEOUT_MS", 500).put("DYNAMODB_MAX_ATTEMPTS", 1)).start();
    try {
      Response ready = other.http.get("/health/ready", null);
      assertEquals(200, ready.status(), ready.body());
      assertEquals("DOWN", ready.json().getJsonObject("dynamodb").getString("status"), ready.body());
      assertEquals("DOWN", checks(ready.json()).get("dynamodb"));
      assertEquals("UP", checks(ready.json()).get("postgresql"));
    } finally {
      other.close();
      TestService.await(vertx.close());
    }
  }

  @Test
  void aDatabaseThatRefusesConnectionsMakesTheInstanceUnreadyButLive() {
    String db = svc.database;
    try {
      admin("alter database \"" + db + "\" with allow_connections false");
      admin("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + db + "'");
      Response ready = svc.http.get("/health/ready", null);
      assertEquals(503, ready.status(), ready.body());
      assertEquals("DOWN", ready.json().getString("status"));
      assertEquals("DOWN", ready.json().getJsonObject("postgresql").getString("status"));
      Response live = svc.http.get("/health/live", null);
      assertEquals(200, live.status());
      assertEquals("DOWN", checks(live.json()).get("postgresql"));
    } finally {
      admin("alter database \"" + db + "\" with allow_connections true");
    }
    long deadline = System.currentTimeMillis() + 10_000;
    while (svc.http.get("/health/ready", null).status() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "not ready again 10 s after the database came back");
      TestService.sleep(100);
    }
  }

  /** A statement on the server's maintenance database: the service's own refuses connections meanwhile. */
  static void admin(String sql) {
    try (Connection c = svc.pg.connect("postgres"); Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static Map<String, String> checks(JsonObject body) {
    JsonArray list = body.getJsonArray("checks");
    assertNotNull(list, body.encode());
    Map<String, String> out = new HashMap<>();
    for (Object o : list) {
      JsonObject c = (JsonObject) o;
      out.put(c.getString("id"), c.getString("status"));
    }
    return out;
  }
}
