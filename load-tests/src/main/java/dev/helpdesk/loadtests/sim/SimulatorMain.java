package dev.helpdesk.loadtests.sim;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceTables;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The simulator as a process. Environment: SIM_PORT (8090), SIM_HOST (127.0.0.1), DYNAMODB_ENDPOINT
 * (empty: AWS), AWS_REGION (us-east-1), DYNAMODB_THREADS_TABLE, DYNAMODB_MESSAGES_TABLE,
 * DYNAMODB_THREADS_INDEX, CONVERSATIONS_TOKEN, MEDIA_TOKEN, SIM_BRANDS_FIXTURE (a JSON file of
 * accountId to {"brands": [...]}). For a local run, SIM_SEED_ACCOUNTS (comma-separated) also creates
 * the tables and seeds them with SIM_SEED_PROFILE (SAMPLE) and SIM_SEED (1), attachment URLs on
 * SIM_MEDIA_BASE_URL (the simulator's own URL).
 */
final class SimulatorMain {
  private SimulatorMain() {}

  static void run(Map<String, String> env) throws IOException {
    SimulatorOptions opts = options(env);
    Vertx vertx = Vertx.vertx();
    ConversationsSimulator sim;
    try {
      sim = ConversationsSimulator.start(vertx, opts).await();
    } catch (Exception e) {
      System.err.println("Conversations simulator failed to start: " + e);
      vertx.close().await();
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        // Two awaits, not compose: a close composed on an event loop never completes once that loop is
        // gone. Bounded, because under exec:java the loops may be stopped before this hook runs.
        sim.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // exiting anyway
      }
    }, "simulator-shutdown"));
    try {
      seedIfAsked(env, opts, sim);
    } catch (RuntimeException e) {
      System.err.println("seeding failed: " + e);
      System.exit(1);
    }
    String dynamoTarget = opts.dynamoEndpoint() == null ? "AWS " + opts.region() : opts.dynamoEndpoint();
    System.out.println("Conversations simulator listening at http://" + opts.host() + ":" + sim.port()
        + " (DynamoDB " + dynamoTarget + ", " + opts.tables() + ")");
  }

  private static SimulatorOptions options(Map<String, String> env) throws IOException {
    SourceTables defaults = SourceTables.defaults();
    SimulatorOptions opts = new SimulatorOptions()
        .port(Integer.parseInt(env.getOrDefault("SIM_PORT", "8090")))
        .host(env.getOrDefault("SIM_HOST", "127.0.0.1"))
        .dynamoEndpoint(blankToNull(env.get("DYNAMODB_ENDPOINT")))
        .region(env.getOrDefault("AWS_REGION", "us-east-1"))
        .tables(new SourceTables(
            env.getOrDefault("DYNAMODB_THREADS_TABLE", defaults.threadsTable()),
            env.getOrDefault("DYNAMODB_MESSAGES_TABLE", defaults.messagesTable()),
            env.getOrDefault("DYNAMODB_THREADS_INDEX", defaults.threadsIndex())));
    if (env.get("CONVERSATIONS_TOKEN") != null) opts.conversationsToken(env.get("CONVERSATIONS_TOKEN"));
    if (env.get("MEDIA_TOKEN") != null) opts.mediaToken(env.get("MEDIA_TOKEN"));
    String fixture = blankToNull(env.get("SIM_BRANDS_FIXTURE"));
    if (fixture != null) opts.brandsFixture(new JsonObject(Files.readString(Path.of(fixture))));
    return opts;
  }

  /** Never against real AWS: seeding needs an explicit DYNAMODB_ENDPOINT. */
  private static void seedIfAsked(Map<String, String> env, SimulatorOptions opts, ConversationsSimulator sim) {
    String accounts = blankToNull(env.get("SIM_SEED_ACCOUNTS"));
    if (accounts == null) return;
    if (opts.dynamoEndpoint() == null) {
      throw new IllegalStateException("SIM_SEED_ACCOUNTS needs DYNAMODB_ENDPOINT: the simulator never seeds AWS tables");
    }
    Profile profile = Profile.byName(env.getOrDefault("SIM_SEED_PROFILE", "SAMPLE"));
    long seed = Long.parseLong(env.getOrDefault("SIM_SEED", "1"));
    List<String> ids = Arrays.stream(accounts.split(",")).map(String::trim).filter(a -> !a.isEmpty()).toList();
    String mediaBase = env.getOrDefault("SIM_MEDIA_BASE_URL", sim.mediaBaseUrl());
    SeedSummary summary = opts.tables().create(sim.dynamo())
        .thenCompose(v -> DataGenerator.seed(sim.dynamo(), opts.tables(), profile, seed, ids, mediaBase,
            System.currentTimeMillis()))
        .join();
    summary.accounts().values().forEach(a -> System.out.println("seeded " + a.accountId() + " (" + profile.name()
        + "): " + a.threadsWritten() + " threads, " + a.messagesWritten() + " messages, "
        + a.attachmentsWritten() + " attachments, " + a.badRecords().size() + " bad records"));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
