package dev.helpdesk.migrator.ops;

import dev.helpdesk.migrator.support.ServiceProcess;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service as {@code java -jar} starts it (Main, conf/config.json, the start-up warm-up included)
 * runs its job runner on another event loop than the account store and the API. Vert.x hands its
 * loops out in turn as contexts are created, so one more context created during start-up can move the
 * job runner onto the status path's loop (status p99 230 against 36 ms in session 15's load test): this
 * test is what notices.
 */
@ExtendWith(VertxExtension.class)
class EventLoopPlacementTest {
  private static final Pattern LOOPS = Pattern.compile("event loops: \\{([^}]*)}");
  private TestService env;

  @AfterEach
  void stop() {
    if (env != null) env.close();
  }

  @Test
  void theJobRunnerDoesNotShareAnEventLoopWithTheStatusPath(Vertx vertx) {
    env = TestService.prepare(vertx);
    JsonObject config = env.config.copy().put("CONFIG_FILE", "conf/config.json");
    config.remove("WARMUP_ROUNDS");
    String log;
    try (ServiceProcess p = ServiceProcess.start("loops", config)) {
      log = p.log();
    }

    Matcher m = LOOPS.matcher(log);
    assertTrue(m.find(), "no event-loop line in the start-up log:\n" + log);
    Map<String, String> loops = new LinkedHashMap<>();
    for (String pair : m.group(1).split(", ")) {
      String[] kv = pair.split("=", 2);
      loops.put(kv[0], kv[1]);
    }
    assertEquals(List.of("accounts", "conversations", "jobs", "bulk", "metrics", "notifier", "api"),
        List.copyOf(loops.keySet()), log);
    loops.forEach((component, thread) ->
        assertTrue(thread.startsWith("vert.x-eventloop-thread-"), component + " started on " + thread));
    assertNotEquals(loops.get("accounts"), loops.get("jobs"), "the job runner on the account store's loop: " + loops);
    assertNotEquals(loops.get("api"), loops.get("jobs"), "the job runner on the API's loop: " + loops);
    assertFalse(log.contains("status answers will wait behind its batches"), log);
  }
}
