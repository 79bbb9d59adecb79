package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.support.ServiceProcess;
import dev.helpdesk.migrator.support.TestJwt;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * No secret value in any log line: an instance at DEBUG, configured with distinctive secrets
 * (current and previous JWT keys and static tokens, the tokens it presents to Conversations and
 * the media service, a PostgreSQL password, AWS keys), migrates accounts (with media and
 * Conversations failures on the way), serves the app, and refuses a string of bad credentials;
 * instances that refuse to start over a bad setting are scanned too. Every line of their output is
 * searched for every secret and every bearer credential that was presented.
 */
@ExtendWith(VertxExtension.class)
class SecretsInLogsTest {
  private static final String JWT = "jwt-SCAN-current-5b0c1e0f-0123456789abcdef";
  private static final String JWT_PREVIOUS = "jwt-SCAN-previous-7d41a2c9-0123456789abcdef";
  private static final String CALLER = "caller-SCAN-current-41f9e2";
  private static final String CALLER_PREVIOUS = "caller-SCAN-previous-93ab10";
  private static final String ADMIN = "admin-SCAN-current-c0ffee77";
  private static final String ADMIN_PREVIOUS = "admin-SCAN-previous-d00dfeed";
  private static final String PG_PASSWORD = "pg-SCAN-password-8e2f61";
  private static final String AWS_SECRET = "aws-SCAN-secret-key-61c2b7";
  static TestService env;
  static JsonObject config;

  @BeforeAll
  static void start(Vertx vertx) {
    env = TestService.prepare(vertx);
    // the embedded server trusts every local login, so any password works and shows up only if logged
    config = env.config.copy()
        .put("CONFIG_FILE", "conf/config.json")
        .put("LOG_LEVEL", "DEBUG")
        .put("PG_URI", "postgresql://postgres:" + PG_PASSWORD + "@127.0.0.1:" + env.pg.port() + "/" + env.database)
        .put("JWT_HS256_SECRET", JWT)
        .put("JWT_HS256_PREVIOUS_SECRET", JWT_PREVIOUS)
        .put("CONVERSATIONS_CALLER_TOKEN", CALLER + "," + CALLER_PREVIOUS)
        .put("ADMIN_TOKEN", ADMIN + "," + ADMIN_PREVIOUS)
        .put("AWS_ACCESS_KEY_ID", "AKIASCANACCESSKEY01")
        .put("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .put("MEDIA_MAX_ATTEMPTS", 2);
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  @Test
  void noSecretOrPresentedCredentialAppearsInAnyLogLine() {
    Map<String, String> secrets = new LinkedHashMap<>();
    secrets.put("JWT_HS256_SECRET", JWT);
    secrets.put("JWT_HS256_PREVIOUS_SECRET", JWT_PREVIOUS);
    secrets.put("CONVERSATIONS_CALLER_TOKEN", CALLER);
    secrets.put("CONVERSATIONS_CALLER_TOKEN (previous)", CALLER_PREVIOUS);
    secrets.put("ADMIN_TOKEN", ADMIN);
    secrets.put("ADMIN_TOKEN (previous)", ADMIN_PREVIOUS);
    secrets.put("CONVERSATIONS_TOKEN", TestService.SIM_CONVERSATIONS_TOKEN);
    secrets.put("MEDIA_TOKEN", TestService.SIM_MEDIA_TOKEN);
    secrets.put("PG password", PG_PASSWORD);
    secrets.put("AWS_SECRET_ACCESS_KEY", AWS_SECRET);

    List<String> ids = List.of("sec-clean", "sec-dirty");
    env.seed(Profile.SAMPLE.withThreads(3, 3).withAttachmentRatio(0.5).withMaxAttachmentBytes(1000), 97, List.of("sec-clean"));
    env.seed(Profile.DIRTY, 98, List.of("sec-dirty"));
    List<String> logs = new ArrayList<>();
    try (ServiceProcess instance = ServiceProcess.start("secrets", config)) {
      String mobile = TestJwt.mobile(JWT, "user-sec", ids);
      String mobileOld = TestJwt.mobile(JWT_PREVIOUS, "user-sec-old", ids);
      secrets.put("a mobile JWT", mobile);
      secrets.put("a mobile JWT (previous key)", mobileOld);
      for (String id : ids) {
        assertEquals(201, instance.http.post("/v1/accounts", CALLER, new JsonObject().put("accountId", id).put("name", id)).status());
      }
      // some Conversations failures on the way (retried), then the app's start
      env.simulator.faults().failNext(2);
      assertEquals(202, instance.http.post("/v1/accounts/sec-clean/start-migration", mobile, "").status());
      assertEquals(202, instance.http.post("/v1/migrate", CALLER_PREVIOUS, new JsonObject().put("accountId", "sec-dirty")).status());
      for (String id : ids) awaitCompleted(instance, id);
      assertEquals(200, instance.http.get("/v1/accounts", mobileOld).status());
      assertEquals(200, instance.http.get("/v1/accounts/sec-dirty/dead-letters", ADMIN_PREVIOUS).status());
      assertEquals(202, instance.http.post("/v1/accounts/sec-dirty/dead-letters/retry", ADMIN, "").status());

      // refused credentials of every kind: none of them may be echoed either
      Map<String, String> refused = new LinkedHashMap<>();
      refused.put("JWT signed with an unknown key", TestJwt.mobile("attacker-SCAN-key-0123456789abcdefghij", "x", ids));
      refused.put("expired JWT", TestJwt.hs256(JWT, TestJwt.claims("x", ids).put("exp", TestJwt.nowSeconds() - 60)));
      refused.put("alg none", TestJwt.unsigned(TestJwt.claims("x", ids).put("exp", TestJwt.nowSeconds() + 60)));
      refused.put("garbage bearer", "garbage-SCAN-bearer-token-5544");
      refused.put("almost the admin token", ADMIN + "x");
      for (var e : refused.entrySet()) {
        assertEquals(401, instance.http.get("/v1/accounts/sec-clean", e.getValue()).status(), e.getKey());
        assertEquals(401, instance.http.get("/v1/accounts", e.getValue()).status(), e.getKey());
        secrets.put("refused: " + e.getKey(), e.getValue());
      }
      assertEquals(401, instance.http.post("/v1/migrate", mobile, new JsonObject().put("accountId", "sec-clean")).status());
      assertEquals(401, instance.http.get("/v1/accounts", ADMIN).status(), "the admin token on the app's route");
      assertEquals(431, instance.http.send("GET", "/v1/accounts", mobile, null, Map.of("X-Pad", "p".repeat(9000))).status());
      long deadline = System.currentTimeMillis() + 30_000;
      while (!instance.log().contains("dead-letter retry done") && System.currentTimeMillis() < deadline) TestService.sleep(100);
      logs.add(instance.log());
    }

    // instances that refuse to start: the message names the key, never its value
    String shortSecret = "short-SCAN-jwt-9f1";
    var refusal = ServiceProcess.runToExit("secrets-short-jwt", config.copy().put("JWT_HS256_SECRET", shortSecret), 60_000);
    assertNotEquals(0, refusal.code());
    assertTrue(refusal.output().contains("JWT_HS256_SECRET"), refusal.output());
    secrets.put("a too-short JWT secret", shortSecret);
    String sameTokens = "same-SCAN-token-for-both-1234";
    var refusal2 = ServiceProcess.runToExit("secrets-same-tokens", config.copy()
        .put("ADMIN_TOKEN", sameTokens).put("CONVERSATIONS_CALLER_TOKEN", sameTokens), 60_000);
    assertNotEquals(0, refusal2.code());
    secrets.put("a token used twice", sameTokens);
    logs.add(refusal.output());
    logs.add(refusal2.output());

    long lines = 0;
    List<String> hits = new ArrayList<>();
    for (String log : logs) {
      for (String line : log.split("\n")) {
        lines++;
        secrets.forEach((name, value) -> {
          if (line.contains(value)) hits.add(name + " in: " + line);
        });
      }
    }
    System.out.println("secrets in logs: scanned " + lines + " lines (DEBUG) for " + secrets.size() + " values: "
        + hits.size() + " hits");
    assertEquals(List.of(), hits);
    assertTrue(lines > 30 && logs.get(0).contains(" DEBUG "), "the scan saw the run's DEBUG log: " + lines + " lines");
  }

  /** TestService.awaitStatus presents the default admin token; this instance has its own. */
  private static void awaitCompleted(ServiceProcess instance, String id) {
    long deadline = System.currentTimeMillis() + 90_000;
    JsonObject account;
    do {
      account = instance.http.get("/v1/accounts/" + id, ADMIN).json();
      if ("completed".equals(account.getString("migrationStatus"))) return;
      TestService.sleep(200);
    } while (System.currentTimeMillis() < deadline);
    fail(id + " not completed in 90 s: " + account.encode());
  }
}
