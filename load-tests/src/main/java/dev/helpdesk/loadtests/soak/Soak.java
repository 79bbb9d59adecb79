package dev.helpdesk.loadtests.soak;

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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.helpdesk.loadtests.soak.SoakClock.await;
import static dev.helpdesk.loadtests.soak.SoakClock.sleepUntil;

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
  static final String JWT_SECRET = "soak-jwt-secret-0123456789-abcdefghijklmnop";
  static final String CALLER = "soak-conversations-caller-token-0123";
  private static final String ADMIN = "soak-admin-token-0123456789-abcdef";
  private static final String SIM_TOKEN = "soak-token-presented-to-conversations";
  private static final String MEDIA_TOKEN = "soak-token-presented-to-media";
  static final long LEASE_TTL_MS = 3000;

  private final double minutes;
  private final long seed;
  private final int instanceCount;
  private final SoakClock clock = new SoakClock();
  private final List<SoakInstance> instances = new ArrayList<>();

  private Soak(double minutes, long seed, int instanceCount) {
    this.minutes = minutes;
    this.seed = seed;
    this.instanceCount = instanceCount;
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
    Path attachmentsDir = Files.createDirectories(workDir.resolve("attachments"));
    clock.note("soak: " + minutes + " min, seed " + seed + ", " + instanceCount + " instances; logs in " + workDir);

    Vertx vertx = Vertx.vertx();
    EmbeddedPg pg = EmbeddedPg.start();
    String uri = pg.createDatabase("soak");
    String database = uri.substring(uri.lastIndexOf('/') + 1);
    Dynalite dynalite = Dynalite.start();
    await(Future.fromCompletionStage(SourceTables.defaults().create(dynalite.client())));
    DynamoFaultProxy dynamoProxy = await(DynamoFaultProxy.start(vertx, dynalite.port()));
    TcpFaultProxy pgProxy = await(TcpFaultProxy.start(vertx, "127.0.0.1", pg.port()));
    ConversationsSimulator sim = await(ConversationsSimulator.start(vertx, new SimulatorOptions().dynamo(dynalite.client())
        .tables(SourceTables.defaults()).conversationsToken(SIM_TOKEN).mediaToken(MEDIA_TOKEN)));

    Map<String, String> env = serviceEnv(pgProxy, database, dynamoProxy, sim, attachmentsDir);
    for (int i = 0; i < instanceCount; i++) {
      SoakInstance in = new SoakInstance("soak-" + i, env, workDir);
      if (!in.start()) throw new IllegalStateException("instance " + i + " did not start; see " + workDir);
      instances.add(in);
    }
    clock.note("stack up after " + clock.elapsed() + " s");
    SoakStack stack = new SoakStack(vertx, pg, database, dynalite, pgProxy, dynamoProxy, sim, instances, attachmentsDir);

    SoakFaults faults = new SoakFaults(minutes, seed, clock, stack);
    SoakArrivals arrivals = new SoakArrivals(seed, clock, stack);
    long endAt = clock.t0() + (long) (minutes * 60_000);
    List<SoakFaults.Event> timeline = faults.timeline(endAt);
    Thread arrivalsThread = new Thread(() -> arrivals.arrive(endAt), "soak-arrivals");
    arrivalsThread.start();
    faults.play(timeline);
    sleepUntil(endAt);
    arrivalsThread.join();
    clock.note("faults stop after " + clock.elapsed() + " s: " + faults.counts());
    faults.calm();

    // every account started, then each one to a terminal state
    SoakVerifier verifier = new SoakVerifier(clock, stack, arrivals);
    long drainDeadline = System.currentTimeMillis() + 10 * 60_000;
    while (!arrivals.allStarted() && System.currentTimeMillis() < drainDeadline) {
      arrivals.startPending();
      Thread.sleep(500);
    }
    Map<String, String> status;
    do {
      Thread.sleep(1000);
      status = verifier.statuses();
    } while (status.values().stream().anyMatch(s -> !s.equals("completed") && !s.equals("failed"))
        && System.currentTimeMillis() < drainDeadline);
    clock.note("drained after " + clock.elapsed() + " s");

    for (String id : arrivals.accountIds()) verifier.verify(id, status.get(id));
    long partials = verifier.partialsAfterRestart();
    faults.close();
    stack.close();

    List<String> problems = verifier.problems();
    new SoakReport(minutes, seed, instanceCount, clock).write(reportDir, arrivals.accountIds().size(), verifier, partials, faults.counts());
    clock.note(problems.isEmpty() ? "soak PASSED" : "soak FAILED: " + problems.size() + " problem(s)");
    return problems.isEmpty() ? 0 : 1;
  }

  private static Map<String, String> serviceEnv(TcpFaultProxy pgProxy, String database, DynamoFaultProxy dynamoProxy,
                                                ConversationsSimulator sim, Path attachmentsDir) {
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
}
