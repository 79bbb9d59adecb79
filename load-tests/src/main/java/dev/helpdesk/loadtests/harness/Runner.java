package dev.helpdesk.loadtests.harness;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One run: a fresh database, a fresh service JVM configured with the run's knobs, the workload
 * driven to its end, the service's own counters read before and after, the service stopped.
 */
final class Runner {
  static final String CALLER_TOKEN = "lt-conversations-caller-token-0123456789";
  static final String ADMIN_TOKEN = "lt-admin-token-0123456789abcdef";
  static final String JWT_SECRET = "lt-jwt-secret-for-load-tests-only-0123456789";

  private final Vertx vertx;
  private final WebClient http;
  private final Stack stack;
  private final Path root;
  private final Path workDir;
  private final List<String> jvmOpts;
  private final Scratch scratch;
  private final JWTAuth jwtAuth;
  private final Map<String, String> jwts = new HashMap<>();

  Runner(Vertx vertx, WebClient http, Stack stack, Path root, Path workDir, List<String> jvmOpts, Scratch scratch) {
    this.vertx = vertx;
    this.scratch = scratch;
    this.http = http;
    this.stack = stack;
    this.root = root;
    this.workDir = workDir;
    this.jvmOpts = jvmOpts;
    this.jwtAuth = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(JWT_SECRET)));
  }

  /** One mobile user per account, as in the app: a token naming just that account. */
  private synchronized String jwtFor(String accountId) {
    return jwts.computeIfAbsent(accountId, id -> jwtAuth.generateToken(
        new JsonObject().put("sub", "lt-user-" + id).put("accounts", new JsonArray().add(id)),
        new JWTOptions().setAlgorithm("HS256").setExpiresInMinutes(24 * 60)));
  }

  /**
   * @param warmupIds accounts migrated (and waited for) before the measured window opens, so that the
   *                  measured migrations run in a warmed-up JVM; empty for a cold start
   */
  RunResult run(String label, Map<String, String> knobs, int repeat, List<String> accountIds, List<String> warmupIds,
                Options o) throws Exception {
    String db = stack.newDatabase("lt_run");
    Path attachments = Files.createDirectories(workDir.resolve("attachments-" + label.replaceAll("[^A-Za-z0-9_=-]", "_") + "-" + repeat));
    Map<String, String> env = new LinkedHashMap<>();
    env.put("CONFIG_FILE", root.resolve("conf/config.json").toString());
    env.put("PG_URI", db);
    env.put("DYNAMODB_ENDPOINT", stack.dynamoEndpoint);
    env.put("AWS_REGION", Stack.REGION);
    env.put("CONVERSATIONS_BASE_URL", stack.sim.baseUrl());
    env.put("CONVERSATIONS_TOKEN", Stack.CONVERSATIONS_TOKEN);
    env.put("MEDIA_TOKEN", Stack.MEDIA_TOKEN);
    env.put("MEDIA_ALLOWED_HOSTS", "127.0.0.1:" + stack.sim.port());
    env.put("CONVERSATIONS_CALLER_TOKEN", CALLER_TOKEN);
    env.put("ADMIN_TOKEN", ADMIN_TOKEN);
    env.put("JWT_HS256_SECRET", JWT_SECRET);
    env.put("ATTACHMENTS_DIR", attachments.toString());
    env.putAll(knobs);
    Path log = workDir.resolve("service-" + label.replaceAll("[^A-Za-z0-9_=-]", "_") + "-" + repeat + ".log");
    Stack.log("run " + label + " #" + repeat + ": starting the service (" + knobs + ")");
    RunResult r = new RunResult();
    r.label = label;
    r.knobs = knobs;
    r.repeat = repeat;
    try (ServiceChild svc = ServiceChild.start(vertx, http, root, env, jvmOpts, log)) {
      Driver driver = new Driver(vertx, http, svc.baseUrl(), CALLER_TOKEN, this::jwtFor, svc.probeUrl(),
          o.integer("max-streams", 100));
      if (!warmupIds.isEmpty()) {
        Driver.Outcome warm = driver.run(warmupIds, 0, 200, o.lng("stall-sec", 15) * 1000, o.lng("run-timeout-sec", 600) * 1000);
        r.warmup = warm.accounts().stream().map(a -> a.id + ": " + a.status).toList().toString();
        Stack.log("run " + label + " #" + repeat + ": warm-up done " + r.warmup);
      }
      JsonObject before = svc.resetPeaks();
      MachineCpu.Mark machine = stack.machineCpu(svc.handle()).mark();
      MediaWatch media = new MediaWatch(stack);
      stack.sim.stats().resetAnswerTimes();
      Driver.Outcome out;
      try {
        out = driver.run(accountIds, o.lng("stagger-ms", 250), o.lng("poll-ms", 200),
            o.lng("stall-sec", 15) * 1000, o.lng("run-timeout-sec", 600) * 1000);
      } finally {
        media.stop();
      }
      r.simCheckUs = stack.sim.stats().answerTimesUs(dev.helpdesk.loadtests.sim.Stats.CHECK);
      r.simChannelsUs = stack.sim.stats().answerTimesUs(dev.helpdesk.loadtests.sim.Stats.CHANNELS);
      r.mediaRequests = media.requests();
      r.mediaWindowSec = media.windowSec(stack.sim.faults().mediaLatencyMs());
      JsonObject after = svc.probe();
      r.machineCpu = machine.until();
      r.cpuSec = (after.getLong("cpuNanos") - before.getLong("cpuNanos")) / 1e9;
      r.cpuProcSec = r.machineCpu.seconds().getOrDefault(MachineCpu.SERVICE, Double.NaN);
      r.peakHeapMb = after.getLong("heapPeak") / 1048576.0;
      r.rssHwmMb = svc.procStatusBytes("VmHWM") / 1048576.0;
      r.dynamoRequests = after.getLong("dynamoRequests") - before.getLong("dynamoRequests");
      r.dynamoQueries = after.getLong("dynamoQueries") - before.getLong("dynamoQueries");
      r.dynamoItems = after.getLong("dynamoItems") - before.getLong("dynamoItems");
      fill(r, out);
    }
    // after the service stopped: its log is complete
    r.waits = Waits.of(r.accounts, log);
    r.attachmentBytes = blobBytes(attachments);
    scratch.done(attachments);
    Stack.log(String.format("run %s #%d: %s; %d messages, %.1f msg/s over %.1f s; %d attachments (%.1f MB), %.1f/s over "
            + "%.1f s of downloads; status p99 %.1f ms; cpu %.1f s",
        label, repeat, r.finalStatuses, r.messages, r.messagesPerSec(), r.windowSec, r.attachments, r.attachmentBytes / 1e6,
        r.attachmentsPerMediaSec(), r.mediaWindowSec, r.statusMs(99), r.cpuSec));
    return r;
  }

  private static void fill(RunResult r, Driver.Outcome out) {
    r.accounts = out.accounts();
    r.statusLatencyUs = out.statusLatencyUs();
    r.statusErrors = out.statusErrors();
    r.streamsRefused = out.streamsRefused();
    r.heapSamples = out.heapSamples();
    r.maxSampledHeapMb = out.heapSamples().stream().mapToDouble(s -> s[1]).max().orElse(Double.NaN);
    long end = 0;
    boolean all = true;
    List<String> notes = new ArrayList<>();
    for (Driver.Account a : out.accounts()) {
      String status = a.status + (a.stalled ? " (stalled)" : a.timedOut ? " (timed out)" : "");
      r.finalStatuses.merge(status, 1, Integer::sum);
      r.messages += a.messages;
      r.threads += a.threads;
      r.attachments += a.attachments;
      all &= a.status.equals("completed");
      if (a.startNs != 0) end = Math.max(end, a.endNs());
      record(r.toChannelsMs, a.msTo("channels_only"));
      record(r.toRecentMs, a.msTo("recent_messages_only"));
      record(r.toCompletedMs, a.msTo("completed"));
      if (a.startAnswer != null && !a.startAnswer.startsWith("202")) notes.add(a.id + " start answered " + a.startAnswer);
      if (a.failureReason != null) notes.add(a.id + " failed: " + a.failureReason);
    }
    r.allCompleted = all;
    r.windowSec = end > out.firstStartNs() ? (end - out.firstStartNs()) / 1e9 : 0;
    r.note = String.join("; ", notes.stream().limit(5).toList());
  }

  /**
   * Watches the simulator's media request counter every 20 ms on a harness thread: the first and the last time it
   * moved are the downloads' window (±20 ms each end), whatever the accounts' phases were doing meanwhile.
   */
  private static final class MediaWatch {
    private final Stack stack;
    private final long start;
    private final java.util.concurrent.ScheduledExecutorService timer;
    private volatile long last;
    private volatile long firstNs;
    private volatile long lastNs;

    MediaWatch(Stack stack) {
      this.stack = stack;
      this.start = stack.sim.stats().requests(dev.helpdesk.loadtests.sim.Stats.MEDIA);
      this.last = start;
      this.timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "media-watch");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleAtFixedRate(this::sample, 20, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void sample() {
      long n = stack.sim.stats().requests(dev.helpdesk.loadtests.sim.Stats.MEDIA);
      if (n != last) {
        long now = System.nanoTime();
        if (last == start) firstNs = now;
        lastNs = now;
        last = n;
      }
    }

    void stop() {
      timer.shutdownNow();
      sample();
    }

    long requests() {
      return last - start;
    }

    /** First to last media request, plus one latency (the last request's answer); 0 without requests. */
    double windowSec(long latencyMs) {
      return firstNs == 0 ? 0 : (lastNs - firstNs) / 1e9 + latencyMs / 1000.0;
    }
  }

  /** Bytes of the published blobs (content-addressed files outside tmp/); -1 when the directory cannot be read. */
  private static long blobBytes(Path dir) {
    Path tmp = dir.resolve("tmp");
    try (var walk = Files.walk(dir)) {
      return walk.filter(p -> !p.startsWith(tmp) && Files.isRegularFile(p)).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (java.io.IOException e) {
          return 0;
        }
      }).sum();
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return -1;
    }
  }

  private static void record(org.HdrHistogram.Histogram h, double ms) {
    if (!Double.isNaN(ms)) h.recordValue(Math.max(1, Math.round(ms)));
  }
}
