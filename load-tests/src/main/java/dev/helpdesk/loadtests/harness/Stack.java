package dev.helpdesk.loadtests.harness;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.sim.ConversationsSimulator;
import dev.helpdesk.loadtests.sim.SimulatorOptions;
import dev.helpdesk.loadtests.support.Dynalite;
import dev.helpdesk.loadtests.support.DynamoClients;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import io.vertx.core.Vertx;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

/**
 * What a load test runs against: DynamoDB (dynalite started here, or {@code --dynamo-endpoint}),
 * PostgreSQL (zonky's embedded server, or the server of {@code --pg-uri}: a fresh database per run
 * either way), and the Conversations simulator (in the harness JVM: it only answers the channel calls
 * and serves attachment bytes).
 */
final class Stack implements AutoCloseable {
  static final String CONVERSATIONS_TOKEN = "lt-conversations-token-0123456789";
  static final String MEDIA_TOKEN = "lt-media-token-0123456789";
  static final String REGION = "us-east-1";

  final Vertx vertx;
  final String dynamoEndpoint;
  final DynamoDbAsyncClient dynamo;
  final SourceTables tables = SourceTables.defaults();
  final ConversationsSimulator sim;
  /**
   * --sim-answers memory (default): the simulator answers the seeded accounts' Conversations calls from what the
   * seeding wrote (see ConversationsSimulator.know); dynamodb: it queries the DynamoDB stand-in for each, as in tests.
   */
  boolean simFromMemory = true;
  private final Dynalite dynalite;
  private final EmbeddedPg embeddedPg;
  private final String pgServerUri;
  private final AtomicInteger dbCounter = new AtomicInteger();

  private Stack(Vertx vertx, Dynalite dynalite, String dynamoEndpoint, DynamoDbAsyncClient dynamo,
                EmbeddedPg embeddedPg, String pgServerUri, ConversationsSimulator sim) {
    this.vertx = vertx;
    this.dynalite = dynalite;
    this.dynamoEndpoint = dynamoEndpoint;
    this.dynamo = dynamo;
    this.embeddedPg = embeddedPg;
    this.pgServerUri = pgServerUri;
    this.sim = sim;
  }

  static Stack start(Vertx vertx, Options o) throws Exception {
    String endpoint = o.str("dynamo-endpoint", null);
    Dynalite dynalite = null;
    DynamoDbAsyncClient dynamo;
    if (endpoint == null) {
      log("starting dynalite ...");
      dynalite = Dynalite.start();
      endpoint = dynalite.endpoint();
      dynamo = dynalite.client();
    } else {
      dynamo = DynamoClients.create(endpoint, REGION);
    }
    String pgUri = o.str("pg-uri", System.getenv("LT_PG_URI"));
    EmbeddedPg pg = null;
    if (pgUri == null || pgUri.isBlank()) {
      log("starting embedded PostgreSQL ...");
      pg = EmbeddedPg.shared();
      pgUri = pg.adminUri();
    }
    ConversationsSimulator sim = ConversationsSimulator.start(vertx, new SimulatorOptions()
        .port(o.integer("sim-port", 0)).dynamo(dynamo).tables(SourceTables.defaults())
        .conversationsToken(CONVERSATIONS_TOKEN).mediaToken(MEDIA_TOKEN)).await();
    // --media-latency-ms: every media answer waits this long, for the whole invocation (runs and media ceilings alike)
    sim.faults().mediaLatencyMs(o.lng("media-latency-ms", 0));
    Stack s = new Stack(vertx, dynalite, endpoint, dynamo, pg, pgUri, sim);
    s.simFromMemory = !o.str("sim-answers", "memory").equals("dynamodb");
    s.tables.create(dynamo).join();
    return s;
  }

  /** Account ids of a workload: the same profile, seed and count always name the same accounts. */
  static List<String> accountIds(Profile profile, long seed, int count) {
    List<String> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(String.format("lt-%s-%d-%04d", profile.name().toLowerCase(Locale.ROOT), seed, i));
    }
    return ids;
  }

  /** A profile with its thread counts multiplied by scale (at least one thread). */
  static Profile scaled(Profile p, double scale) {
    if (scale == 1.0) return p;
    int min = Math.max(1, (int) Math.round(p.minThreads() * scale));
    int max = Math.max(min, (int) Math.round(p.maxThreads() * scale));
    return p.withThreads(min, max);
  }

  static Profile profile(Options o) {
    Profile p = scaled(Profile.byName(o.str("profile", "TYPICAL")), o.dbl("scale", 1.0));
    if (o.str("attachment-ratio", null) != null) p = p.withAttachmentRatio(o.dbl("attachment-ratio", 0));
    if (o.str("max-attachment-bytes", null) != null) p = p.withMaxAttachmentBytes(o.integer("max-attachment-bytes", 100));
    return p;
  }

  SeedSummary seed(Profile profile, long seed, List<String> ids, long nowMs) {
    SeedSummary seeded = DataGenerator.seed(dynamo, tables, profile, seed, ids, sim.mediaBaseUrl(), nowMs).join();
    if (simFromMemory) seeded.accounts().values().forEach(a -> sim.know(a.accountId(), a.threadCount()));
    return seeded;
  }

  /** The processes whose CPU a run's report shows beside the service's (see MachineCpu). */
  MachineCpu machineCpu(ProcessHandle service) {
    return new MachineCpu(service, dynalite == null ? java.util.Optional.empty() : java.util.Optional.of(dynalite.process()),
        embeddedPg == null ? java.util.Optional.empty() : embeddedPg.postmaster());
  }

  /** An empty database on the PostgreSQL server; returns its postgresql:// URI. */
  String newDatabase(String prefix) throws Exception {
    if (embeddedPg != null) return embeddedPg.createDatabase(prefix);
    URI u = URI.create(pgServerUri);
    String name = prefix + "_" + ProcessHandle.current().pid() + "_" + dbCounter.incrementAndGet();
    String[] userInfo = u.getUserInfo() == null ? new String[] {null, null} : u.getUserInfo().split(":", 2);
    String jdbc = "jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath();
    try (Connection c = DriverManager.getConnection(jdbc, userInfo[0], userInfo.length > 1 ? userInfo[1] : null);
         Statement st = c.createStatement()) {
      st.execute("create database \"" + name + "\"");
    }
    return u.getScheme() + "://" + (u.getRawUserInfo() == null ? "" : u.getRawUserInfo() + "@") + u.getHost()
        + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + "/" + name;
  }

  @Override
  public void close() {
    try {
      sim.close().await();
    } catch (Exception ignored) {
      // exiting anyway
    }
    if (dynalite != null) dynalite.close();
    else dynamo.close();
    // the shared embedded PostgreSQL is stopped (and its data deleted) by its own shutdown hook
  }

  static void log(String s) {
    System.out.printf("[%tT] %s%n", System.currentTimeMillis(), s);
  }
}
