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

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.helpdesk.migrator.support.TestService.*;
import static org.junit.jupiter.api.Assertions.*;

/** Every route × every credential kind: only the callers a route names get past 401. */
@ExtendWith(VertxExtension.class)
class CredentialsTest {
  static TestService svc;
  static final String ACCOUNT = "cred-a";

  record Route(String method, String path, String body, List<String> callers) {}

  static final List<Route> ROUTES = List.of(
      new Route("POST", "/v1/accounts", "{\"accountId\":\"cred-a\",\"name\":\"n\"}", List.of("conversations", "operator")),
      new Route("GET", "/v1/accounts", null, List.of("mobile")),
      new Route("GET", "/v1/accounts/" + ACCOUNT, null, List.of("mobile", "conversations", "operator")),
      new Route("POST", "/v1/accounts/" + ACCOUNT + "/start-migration", "", List.of("mobile")),
      new Route("POST", "/v1/migrate", "{\"accountId\":\"cred-missing\"}", List.of("conversations")),
      new Route("GET", "/v1/accounts/" + ACCOUNT + "/threads", null, List.of("mobile")),
      new Route("GET", "/v1/threads/cred-thread/messages", null, List.of("mobile")),
      new Route("GET", "/v1/attachments/cred-attachment", null, List.of("mobile")),
      new Route("GET", "/v1/accounts/" + ACCOUNT + "/dead-letters", null, List.of("operator")),
      new Route("POST", "/v1/accounts/" + ACCOUNT + "/dead-letters/retry", "", List.of("operator")));

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx)
        .configure(c -> c.put("JWT_HS256_PREVIOUS_SECRET", PREVIOUS_JWT_SECRET)
            .put("ADMIN_TOKEN", ADMIN + ",previous-admin-token-0123456789"))
        .start();
    svc.createAccount(ACCOUNT);
    // never checked accounts would be asked about; make it a known, not-needed one so routes stay cheap
    svc.simulator.faults().addUnknownAccount(ACCOUNT);
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static Map<String, String> credentials() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("mobile", svc.mobileToken(ACCOUNT));
    c.put("conversations", CONVERSATIONS_CALLER);
    c.put("operator", ADMIN);
    return c;
  }

  @Test
  void eachRouteAcceptsOnlyTheCallersItNames() {
    for (Route route : ROUTES) {
      credentials().forEach((kind, token) -> {
        Response r = svc.http.send(route.method(), route.path(), token, route.body(), Map.of());
        String what = route.method() + " " + route.path() + " as " + kind;
        if (route.callers().contains(kind)) {
          assertNotEquals(401, r.status(), what);
        } else {
          assertEquals(401, r.status(), what);
          assertEquals("unauthorized", r.error(), what);
        }
      });
    }
  }

  @Test
  void badJwtsOfEveryKindAre401OnEveryRoute() {
    long now = TestJwt.nowSeconds();
    JsonObject ok = TestJwt.claims("u", List.of(ACCOUNT));
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("no token", null);
    bad.put("not bearer", "Basic abc");
    bad.put("garbage", "not-a-token");
    bad.put("malformed three parts", "a.b.c");
    bad.put("alg none", TestJwt.unsigned(ok.copy().put("exp", now + 600)));
    bad.put("wrong secret", TestJwt.hs256("another-secret-that-is-long-enough-0123", ok.copy().put("exp", now + 600)));
    bad.put("HS512", TestJwt.signed(new JsonObject().put("alg", "HS512"), ok.copy().put("exp", now + 600), "HmacSHA512", JWT_SECRET));
    bad.put("HS384", TestJwt.signed(new JsonObject().put("alg", "HS384"), ok.copy().put("exp", now + 600), "HmacSHA384", JWT_SECRET));
    bad.put("expired", TestJwt.hs256(JWT_SECRET, ok.copy().put("exp", now - 5)));
    bad.put("no exp", TestJwt.hs256(JWT_SECRET, ok.copy()));
    bad.put("non-numeric exp", TestJwt.hs256(JWT_SECRET, ok.copy().put("exp", "tomorrow")));
    bad.put("future nbf", TestJwt.hs256(JWT_SECRET, ok.copy().put("exp", now + 600).put("nbf", now + 300)));
    bad.put("no accounts claim", TestJwt.hs256(JWT_SECRET, new JsonObject().put("sub", "u").put("exp", now + 600)));
    bad.put("tampered payload", tamper(TestJwt.hs256(JWT_SECRET, ok.copy().put("exp", now + 600))));
    for (Route route : ROUTES) {
      bad.forEach((name, token) -> {
        Map<String, String> headers = token != null && !token.contains(".") && token.startsWith("Basic")
            ? Map.of("Authorization", token) : Map.of();
        String bearer = headers.isEmpty() ? token : null;
        Response r = svc.http.send(route.method(), route.path(), bearer, route.body(), headers);
        assertEquals(401, r.status(), name + " on " + route.path());
        assertEquals("unauthorized", r.error());
      });
    }
  }

  @Test
  void aTokenUsedOftenIsRefusedTheSecondItExpires() {
    // verified tokens are remembered (Authenticator): the memory must not outlive exp
    long exp = TestJwt.nowSeconds() + 3;
    String token = TestJwt.hs256(JWT_SECRET, TestJwt.claims("u", List.of(ACCOUNT)).put("exp", exp));
    String path = "/v1/accounts/" + ACCOUNT;
    int accepted = 0;
    for (int i = 0; i < 10; i++) {
      Response r = svc.http.get(path, token);
      // only a stalled machine lets exp pass within these polls
      if (TestJwt.nowSeconds() < exp) {
        assertEquals(200, r.status(), r.body());
        accepted++;
      }
    }
    assertTrue(accepted > 0, "the token was never accepted while valid");
    while (TestJwt.nowSeconds() < exp) TestService.sleep(50);
    for (int i = 0; i < 10; i++) {
      Response r = svc.http.get(path, token);
      assertEquals(401, r.status(), "poll " + i + " after exp: " + r.body());
      assertEquals("unauthorized", r.error());
    }
  }

  @Test
  void previousSecretsAreAcceptedWhileTheyRotate() {
    String previousJwt = TestJwt.mobile(PREVIOUS_JWT_SECRET, "u", List.of(ACCOUNT));
    assertEquals(200, svc.http.get("/v1/accounts/" + ACCOUNT, previousJwt).status());
    assertEquals(200, svc.http.get("/v1/accounts/" + ACCOUNT, "previous-admin-token-0123456789").status());
  }

  @Test
  void anUnknownRouteWithoutCredentialIs401AndWithOneIs404() {
    assertEquals(401, svc.http.get("/v1/unknown", null).status());
    assertEquals(404, svc.http.get("/v1/unknown", ADMIN).status());
  }

  @Test
  void authorizationFailsBeforeTheBodyIsLookedAt() {
    String huge = "x".repeat(100_000);
    assertEquals(401, svc.http.post("/v1/accounts", null, huge).status());
    assertEquals(401, svc.http.post("/v1/accounts", svc.mobileToken(ACCOUNT), "{broken").status());
  }

  private static String tamper(String jwt) {
    String[] parts = jwt.split("\\.");
    String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1]));
    String forged = payload.replace(ACCOUNT, "someone-else");
    return parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(forged.getBytes()) + "." + parts[2];
  }
}
