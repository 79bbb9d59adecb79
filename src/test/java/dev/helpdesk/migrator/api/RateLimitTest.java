package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestJwt;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.helpdesk.migrator.support.TestService.*;
import static org.junit.jupiter.api.Assertions.*;

/** Per-caller limits: a burst above the limit is refused for that caller only. */
@ExtendWith(VertxExtension.class)
class RateLimitTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("RATE_LIMIT_MOBILE_PER_SEC", 2).put("RATE_LIMIT_MOBILE_BURST", 5)
        .put("RATE_LIMIT_CONVERSATIONS_PER_SEC", 2).put("RATE_LIMIT_CONVERSATIONS_BURST", 5)).start();
    svc.execute("insert into accounts (account_id, name) values ('rl-a', 'a'), ('rl-b', 'b')");
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void aBurstAboveTheLimitIs429WithRetryAfterForThatCallerOnly() {
    String noisy = TestJwt.mobile(JWT_SECRET, "noisy-user", List.of("rl-a"));
    String quiet = TestJwt.mobile(JWT_SECRET, "quiet-user", List.of("rl-b"));
    int ok = 0;
    int limited = 0;
    for (int i = 0; i < 20; i++) {
      Response r = svc.http.get("/v1/accounts/rl-a", noisy);
      if (r.status() == 200) ok++;
      if (r.status() == 429) {
        limited++;
        assertEquals("rate_limited", r.error());
        long retryAfter = Long.parseLong(r.headers().get("retry-after").get(0));
        assertTrue(retryAfter >= 1 && retryAfter <= 2, "Retry-After " + retryAfter);
      }
    }
    assertEquals(20, ok + limited);
    assertTrue(ok >= 5 && ok <= 8, ok + " admitted: the burst of 5 plus what refilled at 2/s");
    assertTrue(limited >= 12, limited + " refused");

    for (int i = 0; i < 5; i++) assertEquals(200, svc.http.get("/v1/accounts/rl-b", quiet).status(), "another user is not limited");
    assertEquals(200, svc.http.get("/v1/accounts/rl-a", ADMIN).status(), "nor are the operators");

    TestService.sleep(1100);
    assertEquals(200, svc.http.get("/v1/accounts/rl-a", noisy).status(), "after Retry-After the caller is served again");
  }

  @Test
  void aCredentialTheRouteDoesNotTakeIs401EvenWhenOverTheLimit() {
    String token = TestJwt.mobile(JWT_SECRET, "limited-then-wrong", List.of("rl-a"));
    for (int i = 0; i < 10; i++) svc.http.get("/v1/accounts/rl-a", token);
    assertEquals(429, svc.http.get("/v1/accounts/rl-a", token).status());
    Response wrongRoute = svc.http.post("/v1/migrate", token, new JsonObject().put("accountId", "rl-a"));
    assertEquals(401, wrongRoute.status());
  }
}
