package dev.helpdesk.migrator.ops;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.support.ServiceProcess;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LOG_FORMAT=json (what conf/config.json sets for {@code java -jar}): a child JVM migrates an
 * account; once the settings are read every line is one JSON object, every line about the job
 * carries its accountId, jobId and phase as key-value pairs, no secret value appears, and
 * LOG_LEVEL is obeyed.
 */
@ExtendWith(VertxExtension.class)
class JsonLogsTest {
  private static final String ADMIN = "admin-JSONLOG-current-5ca1ab1e";
  private static final String CALLER = "caller-JSONLOG-current-0ddba11";
  private static final String JWT = "jwt-JSONLOG-current-0123456789abcdef-0123";
  private static final String AWS_SECRET = "aws-JSONLOG-secret-9f8e7d";
  private static final Set<String> PHASES = Set.of("channels", "recent", "older", "catch_up", "attachments", "reconcile");
  private static final Pattern JOB_LINE = Pattern.compile("account (\\S+) job (\\d+):");
  static TestService env;
  static JsonObject config;

  @BeforeAll
  static void start(Vertx vertx) {
    env = TestService.prepare(vertx);
    config = env.config.copy()
        .put("CONFIG_FILE", "conf/config.json")
        .put("LOG_FORMAT", "json")
        .put("LOG_LEVEL", "INFO")
        .put("ADMIN_TOKEN", ADMIN)
        .put("CONVERSATIONS_CALLER_TOKEN", CALLER)
        .put("JWT_HS256_SECRET", JWT)
        .put("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
  }

  @AfterAll
  static void stop() {
    env.close();
  }

  @Test
  void everyLineIsJsonAndEveryJobLineNamesItsAccountJobAndPhase() {
    String id = "jl-a";
    env.seed(Profile.SAMPLE.withThreads(4, 4).withAttachmentRatio(0.5).withMaxAttachmentBytes(1000), 91, List.of(id));
    String log;
    try (ServiceProcess p = ServiceProcess.start("jsonlog", config)) {
      assertEquals(201, p.http.post("/v1/accounts", CALLER, new JsonObject().put("accountId", id).put("name", id)).status());
      assertEquals(202, p.http.post("/v1/migrate", CALLER, new JsonObject().put("accountId", id)).status());
      long deadline = System.currentTimeMillis() + 60_000;
      while (!"completed".equals(p.http.get("/v1/accounts/" + id, ADMIN).json().getString("migrationStatus"))) {
        assertTrue(System.currentTimeMillis() < deadline, "not completed:\n" + p.log());
        TestService.sleep(100);
      }
      assertEquals(401, p.http.get("/v1/accounts/" + id, "not-" + ADMIN).status());
      p.terminate();
      assertNotNull(p.awaitExit(30_000));
      log = p.log();
    }
    long jobId = env.count("select job_id from migration_jobs where account_id = ?", id);

    List<JsonObject> lines = new ArrayList<>();
    boolean switched = false;
    for (String line : log.split("\n")) {
      if (line.isBlank()) continue;
      if (!line.startsWith("{")) {
        assertFalse(switched, "a line that is not JSON after the switch: " + line);
        continue;
      }
      switched = true;
      JsonObject json = new JsonObject(line); // fails the test if it does not parse
      assertNotNull(json.getString("level"), line);
      assertNotNull(json.getString("loggerName"), line);
      assertNotNull(json.getValue("timestamp"), line);
      lines.add(json);
    }
    assertTrue(lines.size() > 10, log);

    int jobLines = 0;
    Set<String> phasesSeen = new java.util.HashSet<>();
    for (JsonObject json : lines) {
      assertTrue(Set.of("INFO", "WARN", "ERROR").contains(json.getString("level")), "LOG_LEVEL=INFO: " + json.encode());
      String message = json.getString("formattedMessage", "");
      Matcher m = JOB_LINE.matcher(message);
      boolean aboutTheJob = (m.find() && m.group(1).equals(id)) || message.contains("job " + jobId + ":")
          || json.getString("loggerName").endsWith("MigrationRun");
      if (!aboutTheJob) continue;
      jobLines++;
      Map<String, String> kv = kv(json);
      assertEquals(id, kv.get("accountId"), json.encode());
      assertEquals(String.valueOf(jobId), kv.get("jobId"), json.encode());
      assertTrue(PHASES.contains(kv.get("phase")), json.encode());
      phasesSeen.add(kv.get("phase"));
    }
    assertTrue(jobLines >= PHASES.size() + 1, "a start line and a line per phase at least: " + jobLines);
    assertEquals(PHASES, phasesSeen, "every phase's line says its phase");

    for (String secret : List.of(ADMIN, CALLER, JWT, AWS_SECRET, "not-" + ADMIN, TestService.SIM_CONVERSATIONS_TOKEN,
        TestService.SIM_MEDIA_TOKEN)) {
      assertFalse(log.contains(secret), "a secret in the log: " + secret);
    }
  }

  @Test
  void logLevelFromConfigurationSilencesInfo() {
    String log;
    try (ServiceProcess p = ServiceProcess.start("jsonlog-warn", config.copy().put("LOG_LEVEL", "WARN"))) {
      assertEquals(200, p.http.get("/health/ready", null).status());
      p.terminate();
      assertNotNull(p.awaitExit(30_000));
      log = p.log();
    }
    assertFalse(log.contains("\"INFO\""), log);
    assertFalse(log.contains(" INFO "), log);
  }

  /** logback's kvpList: an array of one-member objects (or an object), as strings. */
  static Map<String, String> kv(JsonObject line) {
    Map<String, String> out = new HashMap<>();
    Object v = line.getValue("kvpList");
    if (v instanceof JsonArray a) {
      for (Object o : a) {
        if (o instanceof JsonObject j) j.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
      }
    } else if (v instanceof JsonObject j) {
      j.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
    }
    return out;
  }
}
