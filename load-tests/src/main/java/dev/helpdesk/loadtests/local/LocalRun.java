package dev.helpdesk.loadtests.local;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.sim.ConversationsSimulator;
import dev.helpdesk.loadtests.sim.SimulatorOptions;
import dev.helpdesk.loadtests.support.Dynalite;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import dev.helpdesk.migrator.Migrator;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.config.SettingsLoader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * README command 1: the service on embedded stand-ins (PostgreSQL from zonky, or PG_URI when set;
 * dynalite; the Conversations simulator with sample data), then one sample account migrated the
 * way the app does it, with its progress printed as it moves. Nothing here ships in the jar.
 */
public final class LocalRun {
  static final String JWT_SECRET = "local-run-jwt-secret-not-for-production-0123456789";
  static final String CONVERSATIONS_CALLER = "local-conversations-caller-token";
  static final String ADMIN = "local-admin-token-0123456789";
  static final List<String> SAMPLE_ACCOUNTS = List.of("sample-1", "sample-2");

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    String pgUri = System.getenv("PG_URI");
    if (pgUri == null || pgUri.isBlank()) {
      System.out.println("starting embedded PostgreSQL (zonky) ...");
      pgUri = EmbeddedPg.shared().uri("postgres");
    }
    System.out.println("starting dynalite ...");
    Dynalite dynalite = Dynalite.start();
    SourceTables tables = SourceTables.defaults();
    await(Future.fromCompletionStage(tables.create(dynalite.client())));

    ConversationsSimulator sim = await(ConversationsSimulator.start(vertx, new SimulatorOptions()
        .port(Integer.parseInt(env("SIM_PORT", "0")))
        .dynamo(dynalite.client()).tables(tables)
        .conversationsToken("local-conversations-token").mediaToken("local-media-token")));
    System.out.println("seeding " + SAMPLE_ACCOUNTS + " (profile SAMPLE) ...");
    await(Future.fromCompletionStage(DataGenerator.seed(dynalite.client(), tables, Profile.SAMPLE, 42,
        SAMPLE_ACCOUNTS, sim.mediaBaseUrl(), System.currentTimeMillis())));

    // The same configuration file as production, with the stand-ins' addresses laid over it.
    JsonObject config = await(SettingsLoader.loadJson(vertx, System.getenv("CONFIG_FILE")))
        .put("HTTP_PORT", Integer.parseInt(env("HTTP_PORT", "8080")))
        .put("PG_URI", pgUri)
        .put("DYNAMODB_ENDPOINT", dynalite.endpoint())
        .put("CONVERSATIONS_BASE_URL", sim.baseUrl())
        .put("CONVERSATIONS_TOKEN", "local-conversations-token")
        .put("MEDIA_TOKEN", "local-media-token")
        .put("MEDIA_ALLOWED_HOSTS", "127.0.0.1:" + sim.port())
        .put("CONVERSATIONS_CALLER_TOKEN", CONVERSATIONS_CALLER)
        .put("ADMIN_TOKEN", ADMIN)
        .put("JWT_HS256_SECRET", JWT_SECRET)
        .put("ATTACHMENTS_DIR", Files.createDirectories(Path.of("target", "local-attachments")).toString());
    Migrator migrator = await(Migrator.start(vertx, Settings.from(config)));
    String base = "http://127.0.0.1:" + migrator.port();

    WebClient http = WebClient.create(vertx);
    for (String account : SAMPLE_ACCOUNTS) {
      await(http.postAbs(base + "/v1/accounts").bearerTokenAuthentication(CONVERSATIONS_CALLER)
          .sendJsonObject(new JsonObject().put("accountId", account).put("name", "Sample " + account)));
    }
    String jwt = mobileJwt(vertx);
    printWelcome(base, jwt);

    System.out.println("starting sample-1 the way the app does ...");
    await(http.postAbs(base + "/v1/accounts/sample-1/start-migration").bearerTokenAuthentication(jwt).send());
    watch(vertx, http, base, jwt, "sample-1");
  }

  private static void printWelcome(String base, String jwt) {
    System.out.println();
    System.out.println("migrator is up at " + base);
    System.out.println("a mobile JWT for sample-1 and sample-2 (valid 24 h):");
    System.out.println("  export JWT=" + jwt);
    System.out.println("try:");
    System.out.println("  curl -s -H \"Authorization: Bearer $JWT\" " + base + "/v1/accounts");
    System.out.println("  curl -s -X POST -H \"Authorization: Bearer $JWT\" " + base + "/v1/accounts/sample-2/start-migration");
    System.out.println("  curl -s -H \"Authorization: Bearer $JWT\" " + base + "/v1/accounts/sample-2");
    System.out.println("  curl -s -X POST -H \"Authorization: Bearer " + CONVERSATIONS_CALLER + "\" -H 'Content-Type: application/json' \\");
    System.out.println("       -d '{\"accountId\":\"sample-2\",\"force\":true}' " + base + "/v1/migrate");
    System.out.println("  curl -s -H \"Authorization: Bearer " + ADMIN + "\" " + base + "/health/ready");
    System.out.println("Ctrl-C stops everything.");
    System.out.println();
  }

  /** Prints the account's status and progress whenever they change, as the app would show them. */
  private static void watch(Vertx vertx, WebClient http, String base, String jwt, String account) {
    String[] last = {""};
    vertx.setPeriodic(250, id -> http.getAbs(base + "/v1/accounts/" + account).bearerTokenAuthentication(jwt).send()
        .onSuccess(r -> {
          // after Ctrl-C the stand-ins may stop before the service: its 503s are not a status to show
          if (r.statusCode() != 200) return;
          JsonObject a = r.bodyAsJsonObject();
          JsonObject p = a.getJsonObject("progress");
          String line = account + ": " + a.getString("migrationStatus") + (p == null ? "" : "  phase=" + p.getString("phase")
              + " threads=" + p.getValue("threadsMigrated") + "/" + p.getValue("threadsTotal")
              + " messages=" + p.getValue("messagesMigrated") + " attachments=" + p.getValue("attachmentsMigrated")
              + " deadLetters=" + p.getValue("deadLetters")
              + (p.getValue("etaSeconds") == null ? "" : " eta=" + p.getValue("etaSeconds") + "s"))
              + (a.getString("failureReason") == null ? "" : "  reason=" + a.getString("failureReason"));
          if (!line.equals(last[0])) System.out.println(line);
          last[0] = line;
        }));
  }

  private static String mobileJwt(Vertx vertx) {
    var auth = io.vertx.ext.auth.jwt.JWTAuth.create(vertx, new io.vertx.ext.auth.jwt.JWTAuthOptions()
        .addPubSecKey(new io.vertx.ext.auth.PubSecKeyOptions().setAlgorithm("HS256").setBuffer(JWT_SECRET)));
    return auth.generateToken(new JsonObject().put("sub", "local-user").put("accounts", new JsonArray(SAMPLE_ACCOUNTS)),
        new io.vertx.ext.auth.JWTOptions().setAlgorithm("HS256").setExpiresInMinutes(24 * 60));
  }

  private static String env(String key, String fallback) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? fallback : v;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
  }
}
