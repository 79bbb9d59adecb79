package dev.helpdesk.loadtests.soak;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.sim.ConversationsSimulator;
import dev.helpdesk.loadtests.sim.SimulatorOptions;
import dev.helpdesk.loadtests.support.Dynalite;
import dev.helpdesk.loadtests.support.DynamoFaultProxy;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import dev.helpdesk.loadtests.support.RepoRoot;
import dev.helpdesk.loadtests.support.TcpFaultProxy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The soak (issue 5): for {@code --minutes}, several service JVMs on one embedded PostgreSQL,
 * dynalite and the Conversations simulator keep migrating newly arriving accounts (mixed clean and
 * dirty profiles) while faults land at random moments drawn from {@code --seed}: kill -9 (50 per
 * 10 minutes), SIGSTOP past the lease, PostgreSQL stopped fast or crashed, PostgreSQL connections
 * cut, Conversations failing, stalling or slow, media slow, DynamoDB throttling. Then the faults
 * stop, every account must end completed with exactly the source minus its planted bad records
 * (counts, per-thread checksums, no duplicate, no pending attachment, reconciliation ok) or failed
 * with a reason, and no partial attachment file may be left. Writes
 * {@code load-tests/reports/<UTC>-soak-seed<N>/summary.md}; exits 1 when a check failed.
 *
 * <pre>mvn -q -B -DskipTests test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.helpdesk.loadtests.soak.Soak -Dexec.args="--minutes 10 --seed 1"</pre>
 */
public final class Soak {
  private static final String JWT_SECRET = "soak-jwt-secret-0123456789-abcdefghijklmnop";
  private static final String CALLER = "soak-conversations-caller-token-0123";
  private static final String ADMIN = "soak-admin-token-0123456789-abcdef";
  private static final String SIM_TOKEN = "soak-token-presented-to-conversations";
  private static final String MEDIA_TOKEN = "soak-token-presented-to-media";
  private static final long LEASE_TTL_MS = 3000;

  private final double minutes;
  private final long seed;
  private final int instanceCount;
  private final Random random;
  private final List<String> log = new ArrayList<>();
  private final Map<String, AtomicInteger> faults = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final Map<String, SeedSummary.AccountSummary> seeded = new ConcurrentHashMap<>();
  private final List<String> accountIds = new ArrayList<>();
  private final Set<String> notStarted = ConcurrentHashMap.newKeySet();
  private final List<SoakInstance> instances = new ArrayList<>();
  private final ExecutorService restarts = Executors.newCachedThreadPool();
  private final long t0 = System.currentTimeMillis();

  private Vertx vertx;
  private EmbeddedPg pg;
  private String database;
  private Dynalite dynalite;
  private DynamoFaultProxy dynamoProxy;
  private TcpFaultProxy pgProxy;
  private ConversationsSimulator sim;
  private Path attachmentsDir;

  private Soak(double minutes, long seed, int instanceCount) {
    this.minutes = minutes;
    this.seed = seed;
    this.instanceCount = instanceCount;
    this.random = new Random(seed);
  }

  public static void main(String[] args) {
    double minutes = 10;
    long seed = 1;
    int instances = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--minutes" -> minutes = Double.parseDouble(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--instances" -> instances = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("usage: Soak [--minutes M] [--seed N] [--instances K]");
          System.exit(2);
        }
      }
    }
    int code;
    try {
      code = new Soak(minutes, seed, instances).run();
    } catch (Throwable t) {
      t.printStackTrace();
      code = 3;
    }
    System.exit(code);
  }

  private int run() throws Exception {
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
    Path reportDir = RepoRoot.find().orElse(Path.of(".")).resolve("load-tests/reports/" + stamp + "-soak-seed" + seed);
    Path workDir = RepoRoot.targetDir("soak/" + stamp + "-seed" + seed);
    attachmentsDir = Files.createDirectories(workDir.resolve("attachments"));
    note("soak: " + minutes + " min, seed " + seed + ", " + instanceCount + " instances; logs in " + workDir);

    vertx = Vertx.vertx();
    pg = EmbeddedPg.start();
    String uri = pg.createDatabase("soak");
    database = uri.substring(uri.lastIndexOf('/') + 1);
    dynalite = Dynalite.start();
    await(Future.fromCompletionStage(SourceTables.defaults().create(dynalite.client())));
    dynamoProxy = await(DynamoFaultProxy.start(vertx, dynalite.port()));
    pgProxy = await(TcpFaultProxy.start(vertx, "127.0.0.1", pg.port()));
    sim = await(ConversationsSimulator.start(vertx, new SimulatorOptions().dynamo(dynalite.client())
        .tables(SourceTables.defaults()).conversationsToken(SIM_TOKEN).mediaToken(MEDIA_TOKEN)));

    Map<String, String> env = serviceEnv();
    for (int i = 0; i < instanceCount; i++) {
      SoakInstance in = new SoakInstance("soak-" + i, env, workDir);
      if (!in.start()) throw new IllegalStateException("instance " + i + " did not start; see " + workDir);
      instances.add(in);
    }
    note("stack up after " + elapsed() + " s");

    long endAt = t0 + (long) (minutes * 60_000);
    List<Event> timeline = timeline(endAt);
    Thread arrivals = new Thread(() -> arrive(endAt), "soak-arrivals");
    arrivals.start();
    for (Event e : timeline) {
      sleepUntil(e.at);
      try {
        e.action.run();
      } catch (RuntimeException ex) {
        note("fault " + e.kind + " failed to apply: " + ex);
      }
    }
    sleepUntil(endAt);
    arrivals.join();
    note("faults stop after " + elapsed() + " s: " + faults);
    calm();

    // every account started, then each one to a terminal state
    long drainDeadline = System.currentTimeMillis() + 10 * 60_000;
    while (!notStarted.isEmpty() && System.currentTimeMillis() < drainDeadline) {
      for (String id : List.copyOf(notStarted)) startMigration(id);
      Thread.sleep(500);
    }
    Map<String, String> status;
    do {
      Thread.sleep(1000);
      status = statuses();
    } while (status.values().stream().anyMatch(s -> !s.equals("completed") && !s.equals("failed"))
        && System.currentTimeMillis() < drainDeadline);
    note("drained after " + elapsed() + " s");

    List<String> problems = new ArrayList<>();
    Map<String, Integer> outcome = new TreeMap<>();
    long[] totals = new long[3];
    for (String id : accountIds) verify(id, status.get(id), problems, outcome, totals);
    long partials = partialsAfterRestart(problems);
    restarts.shutdownNow();
    sim.close();
    pgProxy.close();
    dynamoProxy.close();
    vertx.close();
    dynalite.close();
    pg.close();

    writeSummary(reportDir, outcome, totals, partials, problems);
    note(problems.isEmpty() ? "soak PASSED" : "soak FAILED: " + problems.size() + " problem(s)");
    return problems.isEmpty() ? 0 : 1;
  }

  private Map<String, String> serviceEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    Path root = RepoRoot.find().orElse(Path.of("."));
    env.put("CONFIG_FILE", root.resolve("conf/config.json").toString());
    env.put("PG_URI", "postgresql://postgres:postgres@127.0.0.1:" + pgProxy.port() + "/" + database);
    env.put("PG_POOL_SIZE", "8");
    env.put("PG_ACQUIRE_TIMEOUT_MS", "3000");
    env.put("PG_QUERY_TIMEOUT_MS", "10000");
    env.put("DYNAMODB_ENDPOINT", dynamoProxy.endpoint());
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_ACCESS_KEY_ID", "local");
    env.put("AWS_SECRET_ACCESS_KEY", "local");
    env.put("CONVERSATIONS_BASE_URL", sim.baseUrl());
    env.put("CONVERSATIONS_TOKEN", SIM_TOKEN);
    env.put("CONVERSATIONS_TIMEOUT_MS", "1000");
    env.put("CONVERSATIONS_BACKOFF_BASE_MS", "50");
    env.put("CONVERSATIONS_BACKOFF_MAX_MS", "500");
    env.put("BREAKER_RESET_TIMEOUT_MS", "2000");
    env.put("MEDIA_TOKEN", MEDIA_TOKEN);
    env.put("MEDIA_ALLOWED_HOSTS", "127.0.0.1:" + sim.port());
    env.put("MEDIA_TIMEOUT_MS", "5000");
    env.put("CONVERSATIONS_CALLER_TOKEN", CALLER);
    env.put("ADMIN_TOKEN", ADMIN);
    env.put("JWT_HS256_SECRET", JWT_SECRET);
    env.put("ATTACHMENTS_DIR", attachmentsDir.toString());
    env.put("MIGRATION_RECENT_DAYS", "30");
    env.put("MIGRATION_MAX_FAILURES", "100000");
    env.put("MIGRATION_MAX_FAILURE_RATIO", "0.5");
    env.put("MIGRATION_ACCOUNTS_PARALLEL", "2");
    env.put("MIGRATION_BATCH_SIZE", "100");
    env.put("MIGRATION_LEASE_TTL_MS", Long.toString(LEASE_TTL_MS));
    env.put("MIGRATION_HEARTBEAT_MS", "1000");
    env.put("MIGRATION_SWEEP_MS", "500");
    return env;
  }

  /** One account every few seconds, rotating profiles; each is seeded, created and started. */
  private void arrive(long endAt) {
    Profile[] profiles = {
        Profile.TYPICAL.withThreads(20, 50).withAttachmentRatio(0.1).withMaxAttachmentBytes(16 * 1024),
        Profile.DIRTY.withMaxAttachmentBytes(16 * 1024),
        Profile.SAMPLE.withThreads(5, 20).withMaxAttachmentBytes(16 * 1024)};
    Random r = new Random(seed * 31 + 7);
    int n = 0;
    while (System.currentTimeMillis() < endAt - 20_000) {
      Profile p = profiles[n % profiles.length];
      String id = "soak" + seed + "-" + p.name().toLowerCase() + "-" + n;
      try {
        SeedSummary s = DataGenerator.seed(dynalite.client(), SourceTables.defaults(), p, seed * 1000 + n, List.of(id),
            sim.mediaBaseUrl(), System.currentTimeMillis()).get(120, TimeUnit.SECONDS);
        seeded.put(id, s.account(id));
        synchronized (accountIds) {
          accountIds.add(id);
        }
        notStarted.add(id);
        startMigration(id);
      } catch (Exception e) {
        note("seeding " + id + " failed: " + e);
      }
      n++;
      for (String pending : List.copyOf(notStarted)) startMigration(pending);
      sleepQuietly(6000 + r.nextInt(6000));
    }
  }

  /** Creates and starts the account through any serving instance; app-style (mobile JWT) for every third one. */
  private void startMigration(String id) {
    List<SoakInstance> serving = instances.stream().filter(SoakInstance::serving).toList();
    if (serving.isEmpty()) return;
    SoakInstance in = serving.get(Math.floorMod(id.hashCode() + (int) (System.nanoTime() % 7), serving.size()));
    int created = in.status("POST", "/v1/accounts", CALLER, new JsonObject().put("accountId", id).put("name", id).encode());
    if (created != 201 && created != 200) return;
    int started = id.hashCode() % 3 == 0
        ? in.status("POST", "/v1/accounts/" + id + "/start-migration", jwt(id), "")
        : in.status("POST", "/v1/migrate", CALLER, new JsonObject().put("accountId", id).encode());
    // 202 accepted; 200 means it already runs or finished (a retried start after an unseen answer)
    if (started == 202 || started == 200) notStarted.remove(id);
  }

  private record Event(long at, String kind, Runnable action) {}

  /** The faults, at moments drawn from the seed; kill -9 at 50 per 10 minutes. */
  private List<Event> timeline(long endAt) {
    long from = t0 + 15_000;
    long span = Math.max(1, endAt - 10_000 - from);
    List<Event> events = new ArrayList<>();
    add(events, from, span, (int) Math.round(50 * minutes / 10), "kill -9", this::killOne);
    add(events, from, span, (int) Math.round(8 * minutes / 10), "SIGSTOP past the lease", this::pauseOne);
    add(events, from, span, (int) Math.round(3 * minutes / 10), "PostgreSQL stop -m fast", () -> restartPg(false));
    add(events, from, span, (int) Math.round(3 * minutes / 10), "PostgreSQL crash (SIGKILL)", () -> restartPg(true));
    add(events, from, span, (int) Math.round(8 * minutes / 10), "PostgreSQL connections cut", () -> pgProxy.cutAll());
    add(events, from, span, (int) Math.round(6 * minutes / 10), "Conversations 503 x3", () -> sim.faults().failNext(3));
    add(events, from, span, (int) Math.round(4 * minutes / 10), "Conversations 30 % errors for 5 s",
        () -> window(() -> sim.faults().errorRate(0.3), () -> sim.faults().errorRate(0), 5000));
    add(events, from, span, (int) Math.round(3 * minutes / 10), "Conversations outage for 4 s",
        () -> window(() -> sim.faults().outage(true), () -> sim.faults().outage(false), 4000));
    add(events, from, span, (int) Math.round(3 * minutes / 10), "Conversations stall for 3 s",
        () -> window(() -> sim.faults().stall(true), () -> sim.faults().stall(false), 3000));
    add(events, from, span, (int) Math.round(4 * minutes / 10), "media +800 ms for 5 s",
        () -> window(() -> sim.faults().mediaLatencyMs(800), () -> sim.faults().mediaLatencyMs(0), 5000));
    add(events, from, span, (int) Math.round(6 * minutes / 10), "DynamoDB 30 % throttling for 10 s",
        () -> window(() -> dynamoProxy.throttleRate = 0.3, () -> dynamoProxy.throttleRate = 0, 10_000));
    events.sort((a, b) -> Long.compare(a.at, b.at));
    return events;
  }

  private void add(List<Event> events, long from, long span, int count, String kind, Runnable action) {
    faults.putIfAbsent(kind, new AtomicInteger());
    for (int i = 0; i < Math.max(1, count); i++) {
      long at = from + (long) (random.nextDouble() * span);
      events.add(new Event(at, kind, () -> {
        action.run();
        faults.get(kind).incrementAndGet();
      }));
    }
  }

  private void window(Runnable on, Runnable off, long ms) {
    on.run();
    restarts.submit(() -> {
      sleepQuietly(ms);
      off.run();
    });
  }

  private void killOne() {
    List<SoakInstance> alive = instances.stream().filter(SoakInstance::serving).toList();
    if (alive.isEmpty()) throw new IllegalStateException("no live instance to kill");
    SoakInstance victim = alive.get(random.nextInt(alive.size()));
    victim.kill9();
    restarts.submit(() -> {
      // a restart that does not come up was almost always killed again while starting (a kill lands on
      // any live process); the next kill's restart, or the final calm, starts it again
      if (!victim.start()) {
        faults.computeIfAbsent("(kill -9 landing on an instance still starting up)", k -> new AtomicInteger()).incrementAndGet();
      }
    });
  }

  private void pauseOne() {
    List<SoakInstance> alive = instances.stream().filter(SoakInstance::serving).toList();
    if (alive.isEmpty()) throw new IllegalStateException("no live instance to pause");
    SoakInstance victim = alive.get(random.nextInt(alive.size()));
    long ms = LEASE_TTL_MS + 1000 + random.nextInt(3000);
    victim.sigstop();
    restarts.submit(() -> {
      sleepQuietly(ms);
      victim.sigcont();
    });
  }

  private void restartPg(boolean crash) {
    if (crash) pg.crash();
    else pg.stopFast();
    sleepQuietly(500 + random.nextInt(1500));
    pg.restart();
  }

  /** Every fault off, PostgreSQL up, every instance running and serving. */
  private void calm() {
    sim.faults().reset();
    dynamoProxy.throttleRate = 0;
    pgProxy.blackhole(false);
    if (!pg.isRunning()) pg.restart();
    sleepQuietly(LEASE_TTL_MS + 4000); // pending SIGCONTs and restarts land
    for (SoakInstance in : instances) {
      if (!in.alive() && !in.start()) note("final restart of " + in.name + " failed");
    }
  }

  private Map<String, String> statuses() {
    Map<String, String> out = new LinkedHashMap<>();
    withDb(c -> {
      try (var st = c.prepareStatement("select account_id, migration_status from accounts"); ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.put(rs.getString(1), rs.getString(2));
      }
      return null;
    });
    for (String id : accountIds) out.putIfAbsent(id, "absent");
    return out;
  }

  /** Completed with exactly the source minus its planted bad records, or failed with a reason. */
  private void verify(String id, String status, List<String> problems, Map<String, Integer> outcome, long[] totals) {
    outcome.merge(String.valueOf(status), 1, Integer::sum);
    if ("failed".equals(status)) {
      String reason = one("select failure_reason from accounts where account_id = ?", id);
      if (reason == null || reason.isBlank()) problems.add(id + ": failed without a reason");
      else note(id + " failed: " + reason);
      return;
    }
    if (!"completed".equals(status)) {
      problems.add(id + ": ended " + status);
      return;
    }
    SeedSummary.AccountSummary summary = seeded.get(id);
    SourceSnapshot snap = await(Future.fromCompletionStage(SourceSnapshot.read(dynalite.client(), SourceTables.defaults(), id)));
    Map<String, String> expected = expected(snap, summary);
    Map<String, String> actual = actual(id);
    long expectedMessages = expected.values().stream().mapToLong(v -> Long.parseLong(v.substring(0, v.indexOf(':')))).sum();
    long actualMessages = count("select count(*) from messages where account_id = ?", id);
    totals[0]++;
    totals[1] += actualMessages;
    if (expected.size() != actual.size()) problems.add(id + ": threads " + actual.size() + ", expected " + expected.size());
    if (expectedMessages != actualMessages) problems.add(id + ": messages " + actualMessages + ", expected " + expectedMessages);
    int differing = 0;
    for (var e : expected.entrySet()) if (!e.getValue().equals(actual.get(e.getKey()))) differing++;
    if (differing > 0) problems.add(id + ": " + differing + " thread checksum(s) differ from the source");
    long dupes = count("select count(*) from (select thread_id, message_id from messages where account_id = ? "
        + "group by 1, 2 having count(*) > 1) d", id);
    if (dupes > 0) problems.add(id + ": " + dupes + " duplicate message keys");
    long miscounted = count("select count(*) from threads t where account_id = ? and message_count <> "
        + "(select count(*) from messages m where m.thread_id = t.thread_id)", id);
    if (miscounted > 0) problems.add(id + ": " + miscounted + " threads whose message_count is not their rows");
    long pending = count("select count(*) from attachments where account_id = ? and state = 'pending'", id);
    if (pending > 0) problems.add(id + ": " + pending + " attachments still pending");
    long attachments = count("select count(*) from attachments where account_id = ?", id);
    long badAttachments = count("select count(*) from dead_letters where account_id = ? and kind = 'attachment' and resolved_at is null", id);
    totals[2] += count("select count(*) from attachments where account_id = ? and state = 'copied'", id);
    if (attachments + badAttachments < summary.goodAttachments()) {
      problems.add(id + ": " + attachments + " attachment rows + " + badAttachments + " dead letters < " + summary.goodAttachments());
    }
    String recon = one("select reconciliation::text from accounts where account_id = ?", id);
    if (recon == null) {
      problems.add(id + ": completed without a reconciliation");
    } else {
      JsonObject r = new JsonObject(recon);
      for (String kind : List.of("threads", "messages", "attachments")) {
        if (r.getJsonObject(kind) == null || !r.getJsonObject(kind).getBoolean("ok", false)) {
          problems.add(id + ": reconciliation of " + kind + " not ok: " + recon);
        }
      }
    }
  }

  /** Per thread "n:sha256" over messageId, sentAt and body bytes, planted bad records left out. */
  private static Map<String, String> expected(SourceSnapshot snap, SeedSummary.AccountSummary summary) {
    Set<String> badThreads = new HashSet<>();
    summary.badRecords("thread").forEach(b -> badThreads.add(b.sourceKey().get("threadId")));
    Set<String> badMessages = new HashSet<>();
    summary.badRecords("message").forEach(b -> badMessages.add(b.sourceKey().get("threadId") + "/" + b.sourceKey().get("messageId")));
    Map<String, String> out = new TreeMap<>();
    for (Map<String, AttributeValue> t : snap.threads()) {
      String threadId = t.get("threadId").s();
      if (badThreads.contains(threadId)) continue;
      List<String[]> rows = new ArrayList<>();
      for (Map<String, AttributeValue> m : snap.messages(threadId)) {
        String messageId = m.get("messageId").s();
        if (badMessages.contains(threadId + "/" + messageId)) continue;
        AttributeValue body = m.get("body");
        rows.add(new String[] {messageId, m.get("sentAt").n(), body == null ? null : body.s()});
      }
      out.put(threadId, checksum(rows));
    }
    return out;
  }

  private Map<String, String> actual(String id) {
    Map<String, List<String[]>> byThread = new TreeMap<>();
    withDb(c -> {
      try (var st = c.prepareStatement("select thread_id from threads where account_id = ?")) {
        st.setString(1, id);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) byThread.put(rs.getString(1), new ArrayList<>());
        }
      }
      try (var st = c.prepareStatement("select thread_id, message_id, sent_at, body from messages where account_id = ?")) {
        st.setString(1, id);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            byte[] body = rs.getBytes(4);
            byThread.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new String[] {rs.getString(2),
                Long.toString(rs.getLong(3)), body == null ? null : new String(body, StandardCharsets.UTF_8)});
          }
        }
      }
      return null;
    });
    Map<String, String> out = new TreeMap<>();
    byThread.forEach((t, rows) -> out.put(t, checksum(rows)));
    return out;
  }

  private static String checksum(List<String[]> rows) {
    rows.sort((a, b) -> a[0].compareTo(b[0]));
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String[] r : rows) {
        sha.update(r[0].getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0x1f);
        sha.update(r[1].getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0x1f);
        if (r[2] != null) sha.update(r[2].getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0x1e);
      }
      return rows.size() + ":" + HexFormat.of().formatHex(sha.digest());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Stops every instance, starts one fresh (its start-up removes the partials of owners that are
   * gone, as a restarted deployment would) and counts the {@code .part} files left.
   */
  private long partialsAfterRestart(List<String> problems) {
    instances.forEach(SoakInstance::terminate);
    long before = partialFiles();
    SoakInstance fresh = instances.get(0);
    if (!fresh.start()) problems.add("the final instance did not start");
    sleepQuietly(1000);
    long after = partialFiles();
    fresh.terminate();
    note("partial attachment files: " + before + " after the last kill, " + after + " after a restart's clean-up");
    if (after > 0) problems.add(after + " partial attachment file(s) left");
    return after;
  }

  private long partialFiles() {
    try (var files = Files.walk(attachmentsDir)) {
      return files.filter(p -> p.toString().endsWith(".part")).count();
    } catch (Exception e) {
      return -1;
    }
  }

  private void writeSummary(Path dir, Map<String, Integer> outcome, long[] totals, long partials, List<String> problems)
      throws Exception {
    Files.createDirectories(dir);
    StringBuilder md = new StringBuilder();
    md.append("# Soak, seed ").append(seed).append("\n\n");
    md.append("Command: `mvn -q -B -DskipTests test-compile exec:java -Dexec.classpathScope=test ")
        .append("-Dexec.mainClass=dev.helpdesk.loadtests.soak.Soak -Dexec.args=\"--minutes ")
        .append(fmt(minutes)).append(" --seed ").append(seed).append("\"`\n\n");
    md.append("**Result: ").append(problems.isEmpty() ? "PASSED" : "FAILED (" + problems.size() + " problems)").append("**\n\n");
    md.append("| | |\n|---|---|\n");
    md.append("| faults injected for | ").append(fmt(minutes)).append(" min, then drained; wall time ")
        .append(elapsed()).append(" s |\n");
    md.append("| service instances | ").append(instanceCount).append(" child JVMs (-Xmx256m), lease TTL ")
        .append(LEASE_TTL_MS).append(" ms |\n");
    md.append("| accounts | ").append(accountIds.size()).append(" (TYPICAL 20-50 threads, DIRTY, SAMPLE, in turn); ")
        .append(outcome).append(" |\n");
    md.append("| verified exact | ").append(totals[0]).append(" completed accounts, ").append(totals[1])
        .append(" messages, ").append(totals[2]).append(" attachments copied |\n");
    md.append("| partial attachment files left | ").append(partials).append(" |\n\n");
    md.append("## Faults\n\n| fault | times |\n|---|---|\n");
    faults.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v.get()).append(" |\n"));
    md.append("\nPer completed account: thread and message counts, per-thread SHA-256 over messageId, sentAt and body bytes ")
        .append("equal to the source minus the planted bad records, 0 duplicate keys, message_count equal to the rows, ")
        .append("0 pending attachments, reconciliation ok for threads, messages and attachments. Per failed account: a reason.\n");
    md.append("\n## Problems\n\n");
    if (problems.isEmpty()) md.append("None.\n");
    else problems.forEach(p -> md.append("- ").append(p).append("\n"));
    md.append("\n## Log\n\n```\n");
    synchronized (log) {
      log.forEach(l -> md.append(l).append("\n"));
    }
    md.append("```\n");
    Files.writeString(dir.resolve("summary.md"), md.toString());
    note("summary: " + dir.resolve("summary.md"));
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  // --- small helpers ------------------------------------------------------------------------

  private interface DbWork<T> {
    T run(Connection c) throws Exception;
  }

  /** Runs against the service's database, retrying while PostgreSQL is being restarted. */
  private <T> T withDb(DbWork<T> work) {
    Exception last = null;
    for (int attempt = 0; attempt < 60; attempt++) {
      try (Connection c = pg.connect(database)) {
        return work.run(c);
      } catch (Exception e) {
        last = e;
        sleepQuietly(500);
      }
    }
    throw new IllegalStateException(last);
  }

  private long count(String sql, String id) {
    return withDb(c -> {
      try (var st = c.prepareStatement(sql)) {
        st.setString(1, id);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  private String one(String sql, String id) {
    return withDb(c -> {
      try (var st = c.prepareStatement(sql)) {
        st.setString(1, id);
        try (ResultSet rs = st.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
  }

  private static String jwt(String accountId) {
    String header = b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode());
    String claims = b64(new JsonObject().put("sub", "soak-user-" + accountId).put("accounts", new JsonArray().add(accountId))
        .put("exp", System.currentTimeMillis() / 1000 + 3600).encode());
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(JWT_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      String unsigned = header + "." + claims;
      return unsigned + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(unsigned.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private long elapsed() {
    return (System.currentTimeMillis() - t0) / 1000;
  }

  private void note(String line) {
    String l = String.format("%6.1f s  %s", (System.currentTimeMillis() - t0) / 1000.0, line);
    synchronized (log) {
      log.add(l);
    }
    System.out.println(l);
  }

  private static void sleepUntil(long at) {
    long ms = at - System.currentTimeMillis();
    if (ms > 0) sleepQuietly(ms);
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
