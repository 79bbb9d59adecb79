package dev.helpdesk.loadtests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.helpdesk.loadtests.data.AccountChannels;
import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.Queries;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SeedSummary.AccountSummary;
import dev.helpdesk.loadtests.data.SeedSummary.BadRecord;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.sim.ConversationsSimulator;
import dev.helpdesk.loadtests.sim.MediaContent;
import dev.helpdesk.loadtests.sim.SimulatorOptions;
import dev.helpdesk.loadtests.sim.Stats;
import dev.helpdesk.loadtests.support.Dynalite;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SimulatorAndGeneratorTest {
  private static final long NOW = 1_780_000_000_000L;
  private static final String CONV_TOKEN = "conv-secret";
  private static final String MEDIA_TOKEN = "media-secret";
  private static final List<String> SAMPLE_ACCOUNTS = List.of("acc-s1", "acc-s2");
  private static final List<String> DIRTY_ACCOUNTS = List.of("acc-d1", "acc-d2");

  private static Dynalite dynalite;
  private static DynamoDbAsyncClient dynamo;
  private static final SourceTables TABLES = SourceTables.defaults();
  private static Vertx vertx;
  private static ConversationsSimulator sim;
  private static SeedSummary sample;
  private static SeedSummary dirty;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void startAll() throws Exception {
    dynalite = Dynalite.start();
    dynamo = dynalite.client();
    TABLES.create(dynamo).get(30, TimeUnit.SECONDS);
    TABLES.create(dynamo).get(30, TimeUnit.SECONDS); // idempotent
    vertx = Vertx.vertx();
    sim = ConversationsSimulator.start(vertx, new SimulatorOptions().dynamo(dynamo).tables(TABLES)
            .conversationsToken(CONV_TOKEN).mediaToken(MEDIA_TOKEN))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    sample = DataGenerator.seed(dynamo, TABLES, Profile.SAMPLE, 42, SAMPLE_ACCOUNTS, sim.mediaBaseUrl(), NOW)
        .get(2, TimeUnit.MINUTES);
    dirty = DataGenerator.seed(dynamo, TABLES, Profile.DIRTY, 7, DIRTY_ACCOUNTS, sim.mediaBaseUrl(), NOW)
        .get(2, TimeUnit.MINUTES);
  }

  @AfterAll
  static void stopAll() throws Exception {
    if (sim != null) sim.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (vertx != null) vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (dynalite != null) dynalite.close();
  }

  @BeforeEach
  void resetSimulator() {
    sim.faults().reset();
    sim.stats().reset();
  }

  @Test
  void summaryCountsEqualWhatDynamoHolds() throws Exception {
    for (SeedSummary summary : List.of(sample, dirty)) {
      for (AccountSummary a : summary.accounts().values()) {
        SourceSnapshot snap = SourceSnapshot.read(dynamo, TABLES, a.accountId()).get(1, TimeUnit.MINUTES);
        assertEquals(a.threadsWritten(), snap.threadCount(), a.accountId());
        assertEquals(a.messagesWritten(), snap.messageCount(), a.accountId());
        assertEquals(a.attachmentsWritten(), snap.attachmentCount(), a.accountId());
        assertEquals(a.threadsWritten(), a.goodThreads() + a.badRecords("thread").size());
        assertEquals(a.messagesWritten(),
            a.goodMessages() + a.badRecords("message").size() + a.messagesOfBadThreads());
        assertEquals(a.attachmentsWritten(), a.goodAttachments() + a.badRecords("attachment").size());
        assertTrue(a.attachmentsWritten() > 0);
      }
    }
    AccountSummary s1 = sample.account("acc-s1");
    assertEquals(30, s1.threadCount());
    assertEquals(300, s1.messagesWritten());
    assertTrue(s1.badRecords().isEmpty());
  }

  @Test
  void dirtyPlantsEveryKindOfBadRecord() throws Exception {
    for (String id : DIRTY_ACCOUNTS) {
      AccountSummary a = dirty.account(id);
      assertEquals(Set.of("missingChannelId", "createdAtString", "missingLastMessageAt"), reasons(a, "thread"));
      assertEquals(Set.of("missingDirection", "sentAtString", "missingAuthor", "authorNotMap"), reasons(a, "message"));
      assertEquals(Set.of("ssrf", "fileScheme", "gone404", "gone410", "err500", "missingUrl", "otherPort"),
          reasons(a, "attachment"));
      // the thread without lastMessageAt is in the table but not in the index
      long inIndex = Queries.count(dynamo, Queries.byKey(TABLES.threadsTable(), "accountId", id).toBuilder()
          .indexName(TABLES.threadsIndex()).build()).get();
      assertEquals(a.threadsWritten() - 1, inIndex);

      SourceSnapshot snap = SourceSnapshot.read(dynamo, TABLES, id).get(1, TimeUnit.MINUTES);
      BadRecord ssrf = a.badRecords("attachment").stream().filter(b -> b.reason().equals("ssrf")).findFirst().orElseThrow();
      Map<String, AttributeValue> msg = snap.messages(ssrf.sourceKey().get("threadId")).stream()
          .filter(m -> m.get("messageId").s().equals(ssrf.sourceKey().get("messageId"))).findFirst().orElseThrow();
      assertTrue(msg.get("attachments").l().get(0).m().get("url").s().startsWith("http://169.254.169.254/"));
    }
  }

  @Test
  void sameSeedWritesTheSameItems() throws Exception {
    SourceTables copy = SourceTables.withSuffix("-copy");
    copy.create(dynamo).get(30, TimeUnit.SECONDS);
    SeedSummary again = DataGenerator.seed(dynamo, copy, Profile.SAMPLE, 42, List.of("acc-s1"), sim.mediaBaseUrl(), NOW)
        .get(2, TimeUnit.MINUTES);
    assertEquals(sample.account("acc-s1"), again.account("acc-s1"));
    SourceSnapshot a = SourceSnapshot.read(dynamo, TABLES, "acc-s1").get();
    SourceSnapshot b = SourceSnapshot.read(dynamo, copy, "acc-s1").get();
    assertEquals(a.threads(), b.threads());
    assertEquals(a.messagesByThread(), b.messagesByThread());
  }

  @Test
  void sourceHasTheVarietyTheContractPromises() throws Exception {
    SourceSnapshot snap = SourceSnapshot.read(dynamo, TABLES, "acc-s1").get();
    List<Map<String, AttributeValue>> messages = snap.messagesByThread().values().stream().flatMap(List::stream).toList();
    assertTrue(messages.stream().anyMatch(m -> m.containsKey("body")
        && m.get("body").s().getBytes(StandardCharsets.UTF_8).length >= 399_000), "huge body");
    assertTrue(messages.stream().anyMatch(m -> m.containsKey("attachments") && !m.containsKey("body")), "attachment-only");
    assertTrue(messages.stream().anyMatch(m -> m.containsKey("contentType") && m.get("contentType").s().equals("text/html")));
    for (List<Map<String, AttributeValue>> thread : snap.messagesByThread().values()) {
      List<String> ids = thread.stream().map(m -> m.get("messageId").s()).toList();
      List<Long> times = thread.stream().map(m -> Long.parseLong(m.get("sentAt").n())).toList();
      assertEquals(times.stream().sorted().toList(), times, "messageId order is time order");
      assertEquals(ids.stream().sorted().toList(), ids);
    }
    long recent = sample.account("acc-s1").goodThreadsSince(NOW - 14 * 86_400_000L);
    assertTrue(recent > 0 && recent < 30, "a 14-day cutoff splits recent from older: " + recent);
  }

  @Test
  void migrationCheckAnswersLikeConversations() throws Exception {
    HttpResponse<String> ok = get("/v1/accounts/acc-s1/migration-check", CONV_TOKEN);
    assertEquals(200, ok.statusCode());
    JsonObject body = new JsonObject(ok.body());
    assertEquals("acc-s1", body.getString("accountId"));
    assertTrue(body.getBoolean("exists"));
    assertEquals(sample.account("acc-s1").threadCount(), body.getInteger("threadCount"));
    assertEquals(dirty.account("acc-d1").threadCount(),
        new JsonObject(get("/v1/accounts/acc-d1/migration-check", CONV_TOKEN).body()).getInteger("threadCount"));

    assertEquals(404, get("/v1/accounts/nobody/migration-check", CONV_TOKEN).statusCode());
    assertEquals(401, get("/v1/accounts/acc-s1/migration-check", null).statusCode());
    assertEquals(401, get("/v1/accounts/acc-s1/migration-check", MEDIA_TOKEN).statusCode());
    sim.faults().addUnknownAccount("acc-s1");
    assertEquals(404, get("/v1/accounts/acc-s1/migration-check", CONV_TOKEN).statusCode());
    assertEquals(2, sim.stats().answers(Stats.CHECK, 200));
    assertEquals(2, sim.stats().answers(Stats.CHECK, 404));
    assertEquals(2, sim.stats().answers(Stats.CHECK, 401));
  }

  @Test
  void aKnownAccountIsAnsweredFromMemoryAndTimed() throws Exception {
    // not in DynamoDB at all: only what the load-test harness told the simulator after seeding
    assertEquals(404, get("/v1/accounts/acc-known-only/migration-check", CONV_TOKEN).statusCode());
    sim.know("acc-known-only", 1234);
    HttpResponse<String> check = get("/v1/accounts/acc-known-only/migration-check", CONV_TOKEN);
    assertEquals(200, check.statusCode());
    assertEquals(1234, new JsonObject(check.body()).getInteger("threadCount"));
    HttpResponse<String> channels = get("/v1/accounts/acc-known-only/channels-to-migrate", CONV_TOKEN);
    assertEquals(200, channels.statusCode());
    assertFalse(new JsonObject(channels.body()).getJsonArray("brands").isEmpty());
    // the unknown-account knob and the token still come first
    assertEquals(401, get("/v1/accounts/acc-known-only/migration-check", null).statusCode());
    sim.faults().addUnknownAccount("acc-known-only");
    assertEquals(404, get("/v1/accounts/acc-known-only/channels-to-migrate", CONV_TOKEN).statusCode());
    assertEquals(3, sim.stats().answerTimesUs(Stats.CHECK).getTotalCount());
    assertEquals(2, sim.stats().answerTimesUs(Stats.CHANNELS).getTotalCount());
  }

  @Test
  void channelsHaveTheContractShape() throws Exception {
    HttpResponse<String> resp = get("/v1/accounts/acc-s2/channels-to-migrate", CONV_TOKEN);
    assertEquals(200, resp.statusCode());
    JsonObject body = new JsonObject(resp.body());
    assertEquals("acc-s2", body.getString("accountId"));
    JsonArray brands = body.getJsonArray("brands");
    assertFalse(brands.isEmpty());
    for (Object b : brands) {
      JsonObject brand = (JsonObject) b;
      assertNotNull(brand.getString("brandId"));
      assertNotNull(brand.getString("name"));
      assertNotNull(brand.getString("domain"));
      assertFalse(brand.getJsonArray("channels").isEmpty());
      for (Object c : brand.getJsonArray("channels")) {
        JsonObject ch = (JsonObject) c;
        assertNotNull(ch.getString("channelId"));
        assertNotNull(ch.getString("type"));
        assertNotNull(ch.getString("name"));
        assertTrue(ch.containsKey("address"));
        assertNotNull(ch.getJsonObject("settings"));
      }
    }
    assertEquals(AccountChannels.of("acc-s2").toJson(), body);
    // threads point at these channels (a few at retired ids on purpose)
    Set<String> channelIds = AccountChannels.of("acc-s2").channels().stream()
        .map(AccountChannels.Channel::channelId).collect(Collectors.toSet());
    SourceSnapshot snap = SourceSnapshot.read(dynamo, TABLES, "acc-s2").get();
    long known = snap.threads().stream().filter(t -> channelIds.contains(t.get("channelId").s())).count();
    assertTrue(known >= snap.threadCount() * 0.8, known + " of " + snap.threadCount());

    assertEquals(404, get("/v1/accounts/nobody/channels-to-migrate", CONV_TOKEN).statusCode());
    assertEquals(401, get("/v1/accounts/acc-s2/channels-to-migrate", null).statusCode());
  }

  @Test
  void brandsFixtureOverridesGeneratedChannels() throws Exception {
    JsonObject fixture = new JsonObject(java.nio.file.Files.readString(
        java.nio.file.Path.of("load-tests/src/test-fixtures/brands-example.json")));
    ConversationsSimulator withFixture = ConversationsSimulator.start(vertx, new SimulatorOptions().dynamo(dynamo)
            .tables(TABLES).conversationsToken(CONV_TOKEN).brandsFixture(fixture))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    try {
      HttpResponse<String> check = http.send(HttpRequest.newBuilder(
              URI.create(withFixture.baseUrl() + "/v1/accounts/a-fixture-1/migration-check"))
          .header("Authorization", "Bearer " + CONV_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, check.statusCode());
      assertEquals(0, new JsonObject(check.body()).getInteger("threadCount"));
      HttpResponse<String> channels = http.send(HttpRequest.newBuilder(
              URI.create(withFixture.baseUrl() + "/v1/accounts/a-fixture-1/channels-to-migrate"))
          .header("Authorization", "Bearer " + CONV_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(fixture.getJsonObject("a-fixture-1").getJsonArray("brands"),
          new JsonObject(channels.body()).getJsonArray("brands"));
    } finally {
      withFixture.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void mediaServesDeterministicBytes() throws Exception {
    SourceSnapshot snap = SourceSnapshot.read(dynamo, TABLES, "acc-s1").get();
    Map<String, AttributeValue> att = snap.messagesByThread().values().stream().flatMap(List::stream)
        .filter(m -> m.containsKey("attachments")).findFirst().orElseThrow().get("attachments").l().get(0).m();
    String id = att.get("attachmentId").s();
    int size = Integer.parseInt(att.get("size").n());
    String url = att.get("url").s();

    HttpResponse<byte[]> first = getBytes(url, MEDIA_TOKEN);
    HttpResponse<byte[]> second = getBytes(url, MEDIA_TOKEN);
    assertEquals(200, first.statusCode());
    assertEquals(size, first.body().length);
    assertEquals(att.get("contentType").s(), first.headers().firstValue("content-type").orElseThrow());
    assertArrayEquals(first.body(), second.body());
    assertArrayEquals(MediaContent.bytes(id, size), first.body());
    assertEquals(401, getBytes(url, null).statusCode());
    assertEquals(401, getBytes(url, CONV_TOKEN).statusCode());

    HttpResponse<byte[]> big = getBytes(sim.mediaBaseUrl() + "/media/big-1?size=5000000&ct=application%2Fpdf", MEDIA_TOKEN);
    assertEquals(5_000_000, big.body().length);
    assertEquals("application/pdf", big.headers().firstValue("content-type").orElseThrow());
    assertArrayEquals(MediaContent.bytes("big-1", 5_000_000), big.body());

    sim.faults().mediaRedirect(id, "http://169.254.169.254/latest");
    HttpResponse<byte[]> redirect = getBytes(url, MEDIA_TOKEN);
    assertEquals(302, redirect.statusCode());
    assertEquals("http://169.254.169.254/latest", redirect.headers().firstValue("location").orElseThrow());
  }

  @Test
  void mediaFailuresFollowTheAttachmentIds() throws Exception {
    AccountSummary a = dirty.account("acc-d2");
    SourceSnapshot snap = SourceSnapshot.read(dynamo, TABLES, "acc-d2").get();
    for (String reason : List.of("gone404", "gone410", "err500")) {
      BadRecord bad = a.badRecords("attachment").stream().filter(b -> b.reason().equals(reason)).findFirst().orElseThrow();
      String url = snap.messages(bad.sourceKey().get("threadId")).stream()
          .filter(m -> m.get("messageId").s().equals(bad.sourceKey().get("messageId")))
          .findFirst().orElseThrow().get("attachments").l().get(0).m().get("url").s();
      int expected = Integer.parseInt(reason.replaceAll("\\D", ""));
      assertEquals(expected, getBytes(url, MEDIA_TOKEN).statusCode(), reason);
      assertEquals(reason.equals("err500"), bad.transientFailure());
      if (reason.equals("err500")) {
        sim.faults().mediaStatus(bad.sourceKey().get("attachmentId"), 200);
        assertEquals(200, getBytes(url, MEDIA_TOKEN).statusCode(), "override heals a 500");
      }
    }
    assertEquals(1, sim.stats().answers(Stats.MEDIA, 404));
    assertEquals(1, sim.stats().answers(Stats.MEDIA, 410));
    assertEquals(1, sim.stats().answers(Stats.MEDIA, 500));
  }

  @Test
  void failNextThreeGivesThreeFailuresThenSuccess() throws Exception {
    sim.faults().failNext(3);
    List<Integer> statuses = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) statuses.add(get("/v1/accounts/acc-s1/migration-check", CONV_TOKEN).statusCode());
    assertEquals(List.of(503, 503, 503, 200), statuses);
    assertEquals(4, sim.stats().requests(Stats.CHECK));
    assertTrue(sim.stats().log().stream().allMatch(Stats.Request::authorization));
  }

  @Test
  void controlRoutesDriveTheKnobs() throws Exception {
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/_sim/faults"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"failNext\":1,\"latencyMs\":50,\"unknownAccounts\":[\"acc-s2\"]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode());
    assertEquals(1, new JsonObject(put.body()).getInteger("failNext"));
    assertEquals(503, get("/v1/accounts/acc-s1/migration-check", CONV_TOKEN).statusCode());
    long t0 = System.nanoTime();
    assertEquals(200, get("/v1/accounts/acc-s1/migration-check", CONV_TOKEN).statusCode());
    assertTrue(System.nanoTime() - t0 >= 45_000_000L, "latency applied");
    assertEquals(404, get("/v1/accounts/acc-s2/migration-check", CONV_TOKEN).statusCode());

    JsonObject stats = new JsonObject(get("/_sim/stats", null).body());
    assertEquals(3, stats.getJsonObject("requests").getInteger("check"));
    assertEquals(1, stats.getJsonObject("answers").getJsonObject("check").getInteger("503"));
    assertEquals(3, stats.getJsonArray("log").size());
    assertEquals(204, http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/_sim/stats/reset"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(0, sim.stats().totalRequests());
    assertEquals(400, http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/_sim/faults"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"errorRate\":2}")).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode());
  }

  @Test
  void stallNeverAnswersAndOutageAnswers503() throws Exception {
    sim.faults().stall(true);
    HttpRequest req = HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/v1/accounts/acc-s1/migration-check"))
        .header("Authorization", "Bearer " + CONV_TOKEN).timeout(Duration.ofMillis(300)).build();
    assertThrows(HttpTimeoutException.class, () -> http.send(req, HttpResponse.BodyHandlers.ofString()));
    assertEquals(1, sim.stats().answers(Stats.CHECK, Stats.STALLED));
    sim.faults().stall(false).outage(true);
    assertEquals(503, get("/v1/accounts/acc-s1/channels-to-migrate", CONV_TOKEN).statusCode());
    sim.faults().outage(false).errorRate(1.0);
    assertEquals(503, get("/v1/accounts/acc-s1/channels-to-migrate", CONV_TOKEN).statusCode());
  }

  @Test
  void embeddedPgGivesUsableDatabases() throws Exception {
    EmbeddedPg pg = EmbeddedPg.shared();
    assertTrue(pg.adminUri().startsWith("postgresql://postgres:postgres@127.0.0.1:" + pg.port() + "/"));
    String uri = pg.createDatabase("Sim-Test");
    String other = pg.createDatabase("Sim-Test");
    assertFalse(uri.equals(other));
    try (Connection c = jdbc(uri); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
      assertTrue(rs.next());
      assertEquals(1, rs.getInt(1));
    }
  }

  @Test
  void embeddedPgSurvivesCrashAndRestart() throws Exception {
    try (EmbeddedPg pg = EmbeddedPg.start()) {
      String uri = pg.createDatabase("crash");
      try (Connection c = jdbc(uri); Statement s = c.createStatement()) {
        s.execute("create table t(x int)");
        s.execute("insert into t values (42)");
      }
      pg.crash();
      assertFalse(pg.isRunning());
      pg.restart();
      try (Connection c = jdbc(uri); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select x from t")) {
        assertTrue(rs.next());
        assertEquals(42, rs.getInt(1));
      }
      pg.stopFast();
      pg.restart();
      try (Connection c = jdbc(uri); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from t")) {
        assertTrue(rs.next());
        assertEquals(1, rs.getInt(1));
      }
    }
  }

  private static Set<String> reasons(AccountSummary a, String kind) {
    return a.badRecords(kind).stream().map(BadRecord::reason).collect(Collectors.toSet());
  }

  private static Connection jdbc(String pgUri) throws Exception {
    URI u = URI.create(pgUri);
    String[] userInfo = u.getUserInfo().split(":", 2);
    return DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath(),
        userInfo[0], userInfo[1]);
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).timeout(Duration.ofSeconds(10));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<byte[]> getBytes(String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
