package dev.helpdesk.migrator.accounts;

import dev.helpdesk.migrator.support.Http;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The account status answered from memory (ACCOUNT_CACHE_MS): a change shows as soon as PostgreSQL's
 * notification arrives, this instance's own writes show at once, a change nobody was told of shows once
 * the entry's age runs out, and an entry cached before the listener's connection was lost is not used.
 * Switching V4's NOTIFY trigger off makes a change the cache cannot hear of: what the GET answers then
 * tells whether it came from memory.
 */
@ExtendWith(VertxExtension.class)
class AccountCacheTest {
  static final long CACHE_MS = 4000;
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c.put("ACCOUNT_CACHE_MS", CACHE_MS)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @AfterEach
  void notifyAgain() {
    svc.execute("alter table accounts enable trigger accounts_changed");
  }

  @Test
  void aChangeShowsAsSoonAsItsNotificationArrives() {
    String id = create("ac-notified", "Before");
    assertEquals("Before", name(id));
    svc.execute("update accounts set name = 'After' where account_id = ?", id);
    long seenAfter = awaitName(id, "After", CACHE_MS);
    assertTrue(seenAfter < CACHE_MS / 2, "shown " + seenAfter + " ms after the change, before the entry aged out");
  }

  @Test
  void aChangeNobodyWasToldOfIsAnsweredFromMemoryUntilTheEntryAgesOut() {
    String id = create("ac-silent", "Before");
    assertEquals("Before", name(id));
    svc.execute("alter table accounts disable trigger accounts_changed");
    svc.execute("update accounts set name = 'After' where account_id = ?", id);
    assertEquals("Before", name(id), "answered from memory");
    long seenAfter = awaitName(id, "After", CACHE_MS + 3000);
    assertTrue(seenAfter > CACHE_MS / 4, "the old answer lasted " + seenAfter + " ms");
  }

  @Test
  void thisInstancesOwnWritesShowAtOnce() {
    String id = create("ac-own", "Before");
    assertEquals("Before", name(id));
    svc.execute("alter table accounts disable trigger accounts_changed");
    assertEquals(200, svc.http.post("/v1/accounts", CONVERSATIONS_CALLER,
        new JsonObject().put("accountId", id).put("name", "Renamed")).status());
    assertEquals("Renamed", name(id), "the store's own write");

    // an operator's pause, on a status set behind the cache's back
    svc.execute("update accounts set migration_status = 'channels_only' where account_id = ?", id);
    assertEquals("not_started", status(id), "answered from memory");
    Http.Response paused = svc.http.post("/v1/accounts/" + id + "/migration/pause", ADMIN, "");
    assertEquals(200, paused.status(), paused.body());
    assertEquals("paused", status(id), "the operator's write");
  }

  @Test
  void anEntryCachedBeforeTheListenerWasLostIsNotUsed() {
    String id = create("ac-lost", "Before");
    assertEquals("Before", name(id));
    svc.execute("alter table accounts disable trigger accounts_changed");
    // offset 0 keeps the filter inside: PostgreSQL may otherwise call the function on other rows first
    assertEquals(1, svc.count("select count(*) from (select pid from pg_stat_activity where datname = current_database() "
        + "and application_name = ? offset 0) l where pg_terminate_backend(l.pid)", AccountCache.APPLICATION_NAME),
        "the listener ended");
    svc.execute("update accounts set name = 'After' where account_id = ?", id);
    TestService.sleep(300);
    assertEquals("After", name(id), "no answer from before the loss");
    // and once it listens again, it answers from memory again
    long deadline = System.currentTimeMillis() + 10_000;
    while (svc.count("select count(*) from pg_stat_activity where datname = current_database() and application_name = ?",
        AccountCache.APPLICATION_NAME) == 0 && System.currentTimeMillis() < deadline) {
      TestService.sleep(50);
    }
    TestService.sleep(300);
    assertEquals("After", name(id));
    svc.execute("update accounts set name = 'Again' where account_id = ?", id);
    assertEquals("After", name(id), "answered from memory after the new LISTEN");
  }

  /**
   * The listener kept from coming back (the database refuses new connections; the service's open ones
   * stay): the change made meanwhile, which nobody was told of, shows at once, because losing the
   * listener emptied the cache and turned it off, not merely at the next LISTEN or when the entry ages out.
   */
  @Test
  void aChangeMadeWhileNobodyListensShowsAtOnce() throws Exception {
    String id = create("ac-unheard", "Before");
    assertEquals("Before", name(id));
    try (Connection c = svc.connection(svc.database); Statement st = c.createStatement();
         Connection admin = svc.connection("postgres"); Statement adminSt = admin.createStatement()) {
      try {
        st.execute("alter table accounts disable trigger accounts_changed");
        adminSt.execute(allowConnections(false));
        try (ResultSet rs = st.executeQuery(TERMINATE_LISTENER)) {
          rs.next();
          assertEquals(1, rs.getLong(1), "the listener ended");
        }
        st.executeUpdate("update accounts set name = 'After' where account_id = '" + id + "'");
        TestService.sleep(300);
        try (ResultSet rs = st.executeQuery("select count(*) from pg_stat_activity where datname = current_database() "
            + "and application_name = '" + AccountCache.APPLICATION_NAME + "'")) {
          rs.next();
          assertEquals(0, rs.getLong(1), "nobody listens");
        }
        assertEquals("After", name(id), "no answer from before the loss, though the entry is " + (CACHE_MS - 300) + " ms from ageing out");
      } finally {
        adminSt.execute(allowConnections(true));
      }
    }
  }

  private static final String TERMINATE_LISTENER = "select count(*) from (select pid from pg_stat_activity "
      + "where datname = current_database() and application_name = '" + AccountCache.APPLICATION_NAME
      + "' offset 0) l where pg_terminate_backend(l.pid)";

  private static String allowConnections(boolean allow) {
    return "alter database \"" + svc.database + "\" allow_connections " + allow;
  }

  private static String create(String id, String name) {
    Http.Response r = svc.http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", id).put("name", name));
    assertEquals(201, r.status(), r.body());
    return id;
  }

  private static JsonObject account(String id) {
    Http.Response r = svc.http.get("/v1/accounts/" + id, ADMIN);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static String name(String id) {
    return account(id).getString("name");
  }

  private static String status(String id) {
    return account(id).getString("migrationStatus");
  }

  /** Milliseconds until the GET answers {@code expected}; fails past {@code withinMs}. */
  private static long awaitName(String id, String expected, long withinMs) {
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() - start < withinMs) {
      if (expected.equals(name(id))) return System.currentTimeMillis() - start;
      TestService.sleep(20);
    }
    fail("still not " + expected + " after " + withinMs + " ms: " + account(id));
    return -1;
  }
}
