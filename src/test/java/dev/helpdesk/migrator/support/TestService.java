package dev.helpdesk.migrator.support;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.sim.ConversationsSimulator;
import dev.helpdesk.loadtests.sim.SimulatorOptions;
import dev.helpdesk.loadtests.support.Dynalite;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import dev.helpdesk.migrator.Migrator;
import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The service under test with its real neighbours: a fresh database on the shared embedded
 * PostgreSQL, the shared dynalite, and a Conversations simulator of its own whose fault knobs
 * the test turns.
 */
public final class TestService implements AutoCloseable {
  public static final String JWT_SECRET = "test-jwt-secret-0123456789-abcdefghijklmnop";
  public static final String PREVIOUS_JWT_SECRET = "previous-jwt-secret-0123456789-abcdefghijkl";
  public static final String CONVERSATIONS_CALLER = "conversations-caller-token-0123456789";
  public static final String ADMIN = "admin-token-0123456789-abcdefghij";
  public static final String SIM_CONVERSATIONS_TOKEN = "token-we-present-to-conversations";
  public static final String SIM_MEDIA_TOKEN = "token-we-present-to-media";

  private static Dynalite dynalite;

  public final Vertx vertx;
  public final EmbeddedPg pg = EmbeddedPg.shared();
  public final String database;
  public final ConversationsSimulator simulator;
  public final SourceTables tables = SourceTables.defaults();
  public JsonObject config;
  /** The blob store's directory this class created (a test may point the service elsewhere). */
  private Path attachmentsDir;
  private Migrator migrator;
  public Http http;

  private TestService(Vertx vertx, String database, ConversationsSimulator simulator) {
    this.vertx = vertx;
    this.database = database;
    this.simulator = simulator;
  }

  public static synchronized Dynalite dynalite() {
    if (dynalite == null) {
      dynalite = Dynalite.start();
      await(Future.fromCompletionStage(SourceTables.defaults().create(dynalite.client())));
    }
    return dynalite;
  }

  /** Starts the neighbours; call {@link #start} (after tuning {@link #config}) to start the service. */
  public static TestService prepare(Vertx vertx) {
    Dynalite dyn = dynalite();
    EmbeddedPg pg = EmbeddedPg.shared();
    String uri = pg.createDatabase("t");
    String db = uri.substring(uri.lastIndexOf('/') + 1);
    ConversationsSimulator sim = await(ConversationsSimulator.start(vertx, new SimulatorOptions()
        .dynamo(dyn.client()).tables(SourceTables.defaults())
        .conversationsToken(SIM_CONVERSATIONS_TOKEN).mediaToken(SIM_MEDIA_TOKEN)));
    TestService s = new TestService(vertx, db, sim);
    s.config = s.baseConfig();
    return s;
  }

  private JsonObject baseConfig() {
    try {
      attachmentsDir = Files.createTempDirectory("attachments");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return new JsonObject()
        .put("HTTP_PORT", 0)
        .put("PG_URI", pg.uri(database))
        .put("PG_POOL_SIZE", 8)
        .put("DYNAMODB_ENDPOINT", dynalite().endpoint())
        .put("AWS_REGION", "us-east-1")
        .put("CONVERSATIONS_BASE_URL", simulator.baseUrl())
        .put("CONVERSATIONS_TOKEN", SIM_CONVERSATIONS_TOKEN)
        .put("CONVERSATIONS_TIMEOUT_MS", 1000)
        .put("CONVERSATIONS_MAX_ATTEMPTS", 4)
        .put("CONVERSATIONS_BACKOFF_BASE_MS", 20)
        .put("CONVERSATIONS_BACKOFF_MAX_MS", 100)
        .put("BREAKER_MAX_FAILURES", 5)
        .put("BREAKER_RESET_TIMEOUT_MS", 1500)
        .put("MEDIA_TOKEN", SIM_MEDIA_TOKEN)
        .put("MEDIA_ALLOWED_HOSTS", "127.0.0.1:" + simulator.port())
        .put("CONVERSATIONS_CALLER_TOKEN", CONVERSATIONS_CALLER)
        .put("ADMIN_TOKEN", ADMIN)
        .put("JWT_HS256_SECRET", JWT_SECRET)
        .put("ATTACHMENTS_DIR", attachmentsDir.toString())
        .put("MIGRATION_RECENT_DAYS", 30)
        .put("MIGRATION_LEASE_TTL_MS", 3000)
        .put("MIGRATION_HEARTBEAT_MS", 1000)
        .put("MIGRATION_SWEEP_MS", 500)
        // a second or more per start, paid by every test: StartUpWarmUpTest covers it
        .put("WARMUP_ROUNDS", 0)
        // tests drive many requests as one user; RateLimitTest sets real limits
        .put("RATE_LIMIT_MOBILE_PER_SEC", 100_000).put("RATE_LIMIT_MOBILE_BURST", 100_000)
        .put("RATE_LIMIT_CONVERSATIONS_PER_SEC", 100_000).put("RATE_LIMIT_CONVERSATIONS_BURST", 100_000)
        .put("RATE_LIMIT_OPERATOR_PER_SEC", 100_000).put("RATE_LIMIT_OPERATOR_BURST", 100_000);
  }

  public TestService configure(Consumer<JsonObject> change) {
    change.accept(config);
    return this;
  }

  public TestService start() {
    migrator = await(Migrator.start(vertx, Settings.from(config)));
    http = new Http(migrator.port());
    return this;
  }

  public SeedSummary seed(Profile profile, long seed, List<String> accountIds) {
    return await(Future.fromCompletionStage(DataGenerator.seed(dynalite().client(), tables, profile, seed, accountIds,
        simulator.mediaBaseUrl(), System.currentTimeMillis())));
  }

  public String mobileToken(String... accounts) {
    return TestJwt.mobile(JWT_SECRET, "user-1", List.of(accounts));
  }

  /** Creates the account as Conversations would, asserting the API agreed. */
  public void createAccount(String accountId) {
    int status = http.post("/v1/accounts", CONVERSATIONS_CALLER,
        new JsonObject().put("accountId", accountId).put("name", "Account " + accountId)).status();
    if (status != 201 && status != 200) throw new IllegalStateException("account creation answered " + status);
  }

  /** Starts a run as Conversations does ({@code POST /v1/migrate}); the test fails unless it is accepted. */
  public JsonObject startMigration(String accountId, boolean force) {
    var r = http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", accountId).put("force", force));
    if (r.status() != 202) throw new AssertionError("migrate " + accountId + " answered " + r.status() + ": " + r.body());
    return r.json();
  }

  public String migrationStatus(String accountId) {
    return http.get("/v1/accounts/" + accountId, ADMIN).json().getString("migrationStatus");
  }

  /** Polls like the app until the account reaches {@code status} or the time runs out. */
  public JsonObject awaitStatus(String accountId, String status, long timeoutMs) {
    return awaitStatus(accountId, status, timeoutMs, http);
  }

  /** The same, asking a given instance (several may share the database). */
  public JsonObject awaitStatus(String accountId, String status, long timeoutMs, Http http) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    JsonObject account;
    do {
      account = http.get("/v1/accounts/" + accountId, ADMIN).json();
      if (status.equals(account.getString("migrationStatus"))) return account;
      sleep(100);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("account " + accountId + " did not reach " + status + " in " + timeoutMs
        + " ms; it is " + account.encode());
  }

  public long count(String sql, Object... params) {
    try (Connection c = pg.connect(database); var st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) st.setObject(i + 1, params[i]);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The first column of the first row as text (null when there is no row). */
  public String text(String sql, Object... params) {
    try (Connection c = pg.connect(database); var st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) st.setObject(i + 1, params[i]);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A connection of the test's own to {@code db} (the service's {@link #database}, or {@code postgres} to
   * alter that one), for steps that must go on while the database refuses new logins.
   */
  public Connection connection(String db) {
    try {
      return pg.connect(db);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs a statement straight on the service's database, as an operator with psql would. */
  public int execute(String sql, Object... params) {
    try (Connection c = pg.connect(database); var st = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) st.setObject(i + 1, params[i]);
      return st.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops the service's verticles (as a restart would) but keeps its neighbours. */
  public void stopService() {
    if (migrator != null) {
      await(migrator.stop());
      migrator = null;
    }
  }

  @Override
  public void close() {
    stopService();
    await(simulator.close());
    deleteTree(attachmentsDir);
  }

  // every test suite run used to leave ~120 of these behind in /tmp
  private static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException | RuntimeException ignored) {
      // best effort: a leftover in /tmp is no test failure
    }
  }

  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getCause() == null ? e : e.getCause());
    }
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
