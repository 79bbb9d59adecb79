package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.util.List;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/** A database that does not answer in time makes every read route a 503, never a hang or a 500. */
@ExtendWith(VertxExtension.class)
class ReadApiOutageTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c.put("PG_QUERY_TIMEOUT_MS", 1000)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void readsBlockedPastTheQueryTimeoutAre503AndRecoverAfterwards() throws Exception {
    svc.createAccount("out-a");
    svc.execute("""
        insert into threads (thread_id, account_id, channel_id, created_at, last_message_at)
        values ('out-t', 'out-a', 'c-1', 1, 1)""");
    String token = svc.mobileToken("out-a");
    List<String[]> routes = List.of(
        new String[] {"GET", "/v1/accounts/out-a/threads", token},
        new String[] {"GET", "/v1/threads/out-t/messages", token},
        new String[] {"GET", "/v1/attachments/out-x", token},
        new String[] {"GET", "/v1/accounts/out-a/dead-letters", ADMIN},
        new String[] {"POST", "/v1/accounts/out-a/dead-letters/retry", ADMIN});
    // an operator's long transaction holding the tables: queries wait on it, as on a stuck database
    try (Connection locker = svc.pg.connect(svc.database)) {
      locker.setAutoCommit(false);
      try (var st = locker.createStatement()) {
        st.execute("lock table threads, attachments, dead_letters in access exclusive mode");
      }
      for (String[] r : routes) {
        long t0 = System.nanoTime();
        Response answer = svc.http.send(r[0], r[1], r[2], r[0].equals("POST") ? "" : null, java.util.Map.of());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(503, answer.status(), r[1] + " " + answer.body());
        assertEquals("unavailable", answer.error());
        assertTrue(ms < 5000, r[1] + " answered after " + ms + " ms");
      }
      locker.rollback();
    }
    for (String[] r : routes) {
      Response answer = svc.http.send(r[0], r[1], r[2], r[0].equals("POST") ? "" : null, java.util.Map.of());
      assertNotEquals(503, answer.status(), r[1] + " after the lock is gone");
    }
  }
}
