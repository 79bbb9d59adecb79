package dev.helpdesk.migrator.api;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.migrator.api.SseClient.Item;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestJwt;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code GET /v1/accounts/{id}/migration/events} on one instance: a real run seen through the stream,
 * reconnection with Last-Event-ID, heartbeats, the credential and visibility answers of GET, and the
 * per-instance stream limit. Changes written straight into the table (as another instance or an
 * operator's psql would) must reach the stream just as the pipeline's do: the trigger, not the writer,
 * announces them.
 */
@ExtendWith(VertxExtension.class)
class EventStreamTest {
  static final String STATUS_CACHE = "migrator-account-cache";
  static final int MAX_STREAMS = 4;
  static TestService svc;
  final List<SseClient> open = new ArrayList<>();

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).configure(c -> c
        .put("SSE_HEARTBEAT_MS", 300)
        .put("SSE_MAX_STREAMS", MAX_STREAMS)
        // stretches a 20-thread run over a few seconds so that every status lasts long enough to be seen
        .put("DYNAMODB_READ_RATE_TOTAL", 15)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @AfterEach
  void closeStreams() {
    open.forEach(SseClient::close);
    open.clear();
  }

  SseClient stream(String accountId, String token, String lastEventId) {
    SseClient c = SseClient.open(svc.http.base(), "/v1/accounts/" + accountId + "/migration/events", token, lastEventId);
    open.add(c);
    return c;
  }

  JsonObject get(String accountId) {
    return svc.http.get("/v1/accounts/" + accountId, ADMIN).json();
  }

  @Test
  void aRunIsSeenThroughEveryStatusInOrderWithProgressMovingAndTheStreamEndsAfterCompleted() throws Exception {
    String id = "ev-run";
    svc.seed(Profile.SAMPLE.withThreads(20, 20).withAttachmentRatio(0), 61, List.of(id));
    svc.createAccount(id);
    SseClient s = stream(id, svc.mobileToken(id), null);
    assertEquals(200, s.status, s.body);
    assertTrue(s.contentType().startsWith("text/event-stream"), s.contentType());
    assertTrue(s.response.headers().firstValue("content-encoding").isEmpty(), "events must not sit in a compressor");

    Item first = s.nextEvent(5000);
    assertNotNull(first, "the current state comes at once");
    assertEquals("status", first.event());
    assertEquals(get(id), first.json(), "data is the account exactly as GET answers it");
    assertEquals("not_started", first.json().getString("migrationStatus"));

    // Conversations answers slowly, so `migrating` lasts at least that long
    svc.simulator.faults().latencyMs(300);
    try {
      svc.startMigration(id, false);
      List<Item> events = new ArrayList<>(List.of(first));
      Item end = null;
      long deadline = System.currentTimeMillis() + 90_000;
      while (end == null && System.currentTimeMillis() < deadline) {
        Item i = s.nextEvent(deadline - System.currentTimeMillis());
        if (i == null) break;
        if (i.end()) end = i;
        else events.add(i);
      }
      assertNotNull(end, "the stream ends after the terminal event; got " + events.size() + " events");

      List<String> statuses = new ArrayList<>();
      for (Item e : events) {
        String st = e.json().getString("migrationStatus");
        if (statuses.isEmpty() || !statuses.get(statuses.size() - 1).equals(st)) statuses.add(st);
      }
      assertEquals(List.of("not_started", "migrating", "channels_only", "recent_messages_only", "completed"), statuses);
      for (int i = 1; i < events.size(); i++) {
        assertTrue(events.get(i).idNumber() > events.get(i - 1).idNumber(),
            "ids increase: " + events.get(i - 1).id() + " then " + events.get(i).id());
        assertNotEquals(events.get(i - 1).json(), events.get(i).json(), "an event is a change");
      }
      long lastMessages = -1;
      int progressEvents = 0;
      for (Item e : events.subList(1, events.size())) {
        JsonObject p = e.json().getJsonObject("progress");
        assertNotNull(p);
        long m = p.getLong("messagesMigrated");
        assertTrue(m >= lastMessages, "messagesMigrated never goes back: " + lastMessages + " then " + m);
        if (m > lastMessages) progressEvents++;
        lastMessages = m;
      }
      assertTrue(progressEvents >= 3, "progress moved in several steps, saw " + progressEvents);
      assertEquals(get(id), events.get(events.size() - 1).json(), "the last event is the final state");
      assertTrue(events.get(events.size() - 1).json().getJsonObject("progress").getLong("messagesMigrated") > 0);
    } finally {
      svc.simulator.faults().latencyMs(0);
    }
  }

  @Test
  void reconnectingWithLastEventIdGetsNoDuplicateButEveryLaterState() throws Exception {
    String id = "ev-re";
    svc.createAccount(id);
    svc.execute("update accounts set migration_status = 'migrating', progress = ?::jsonb where account_id = ?",
        progress(0), id);
    SseClient s = stream(id, ADMIN, null);
    Item first = s.nextEvent(5000);
    assertEquals(get(id), first.json());
    s.close();

    // nothing changed since: no event, only heartbeats, until something does change
    SseClient again = stream(id, ADMIN, first.id());
    assertEquals(200, again.status, again.body);
    List<Item> idle = again.drain(1200);
    assertTrue(idle.stream().noneMatch(Item::isEvent), "the client has this state already: " + idle);
    assertTrue(idle.stream().anyMatch(i -> "heartbeat".equals(i.comment())), "heartbeats meanwhile: " + idle);
    svc.execute("update accounts set progress = ?::jsonb where account_id = ?", progress(10), id);
    Item second = again.nextEvent(5000);
    assertNotNull(second);
    assertTrue(second.idNumber() > first.idNumber());
    assertEquals(10, second.json().getJsonObject("progress").getInteger("messagesMigrated"));
    again.close();

    // changes while disconnected: the reconnection gets the current state once (each event is the whole state)
    svc.execute("update accounts set progress = ?::jsonb where account_id = ?", progress(20), id);
    svc.execute("update accounts set migration_status = 'channels_only', progress = ?::jsonb where account_id = ?",
        progress(30), id);
    SseClient third = stream(id, ADMIN, second.id());
    Item current = third.nextEvent(5000);
    assertTrue(current.idNumber() > second.idNumber());
    assertEquals(get(id), current.json());
    assertEquals("channels_only", current.json().getString("migrationStatus"));
    assertTrue(third.drain(700).stream().noneMatch(Item::isEvent), "the current state exactly once");

    // an id the server never gave (or from before a restore) cannot be trusted: the current state comes
    SseClient other = stream(id, ADMIN, "not-a-number");
    assertEquals(current.id(), other.nextEvent(5000).id());

    // an update that changes nothing the account shows is not an event
    svc.execute("update accounts set updated_at = now(), thread_count = 7 where account_id = ?", id);
    assertTrue(third.drain(700).stream().noneMatch(Item::isEvent));
  }

  @Test
  void aChangeMadeWhileTheListenerIsCutOffStillArrivesAndLaterOnesToo() throws Exception {
    // the account store's status cache listens too (AccountCacheTest cuts that one)
    String id = "ev-cut";
    svc.createAccount(id);
    SseClient s = stream(id, ADMIN, null);
    Item first = s.nextEvent(5000);
    // the listener's session ends (a failover, an idle-session killer); the change lands while it is away
    long cut = svc.count("select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity "
        + "where datname = current_database() and query ilike 'listen%' and application_name <> ?) t", STATUS_CACHE);
    assertEquals(1, cut, "one listening session per instance");
    svc.execute("update accounts set migration_status = 'migrating', progress = ?::jsonb where account_id = ?",
        progress(1), id);
    // well within SSE_RESYNC_MS (5 s): the re-subscription itself re-reads what is watched
    Item missed = s.nextEvent(3000);
    assertNotNull(missed, "the change made while nobody listened");
    assertTrue(missed.idNumber() > first.idNumber());
    assertEquals(1, missed.json().getJsonObject("progress").getInteger("messagesMigrated"));
    long listening = 0;
    for (int i = 0; i < 50 && listening == 0; i++) {
      listening = svc.count("select count(*) from pg_stat_activity where datname = current_database() and query ilike 'listen%' "
          + "and application_name <> ?", STATUS_CACHE);
      if (listening == 0) TestService.sleep(100);
    }
    assertEquals(1, listening, "listening again");
    long before = System.currentTimeMillis();
    svc.execute("update accounts set progress = ?::jsonb where account_id = ?", progress(2), id);
    Item later = s.nextEvent(3000);
    assertNotNull(later);
    assertEquals(2, later.json().getJsonObject("progress").getInteger("messagesMigrated"));
    assertTrue(System.currentTimeMillis() - before < 2000, "notified, not found by the periodic re-read");
  }

  /**
   * A client that stops reading (a phone in a tunnel) while the account changes thousands of times: the
   * server keeps at most one unwritten event for it, so when it reads again it gets what fitted in the
   * socket buffers and then the newest state, not a backlog of every change.
   */
  @Test
  void aStalledClientGetsTheNewestStateWhenItReadsAgainNotABacklog() throws Exception {
    String id = "ev-slow";
    svc.createAccount(id);
    // ~1 MB events (a name longer than the API allows, written as psql would), so that the changes add
    // up to far more than the kernel's socket buffers (up to 4 MB here), which no server can hold back
    svc.execute("update accounts set name = ? where account_id = ?", "n".repeat(1_000_000), id);
    int changes = 300;
    try (java.net.Socket socket = new java.net.Socket()) {
      // a fixed window: the kernel's receive autotuning (up to 32 MB here) would otherwise absorb the backlog
      socket.setReceiveBufferSize(65536);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", java.net.URI.create(svc.http.base()).getPort()), 5000);
      socket.getOutputStream().write(("GET /v1/accounts/" + id + "/migration/events HTTP/1.1\r\nHost: x\r\n"
          + "Authorization: Bearer " + ADMIN + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      // a client that reads, on the same account: what the instance delivered to every stream
      SseClient reading = stream(id, ADMIN, null);
      try (java.sql.Connection c = svc.pg.connect(svc.database);
           var st = c.prepareStatement("update accounts set progress = ?::jsonb where account_id = ?")) {
        for (int i = 1; i <= changes; i++) {
          st.setString(1, progress(i));
          st.setString(2, id);
          st.executeUpdate();
        }
      }
      JsonObject last = get(id);
      long finalVersion = svc.count("select change_seq from accounts where account_id = ?", id);
      // the stalled client reads only once the instance has sent its last event: had it read while events
      // were still being made (a slow CI machine), it would rightly get those live, which is no backlog
      long delivered = 0;
      for (Item i; (i = reading.nextEvent(30_000)) != null && !i.end(); ) {
        delivered++;
        if (i.idNumber() == finalVersion) break;
      }
      // heartbeats keep coming: read until the newest state has arrived (or time is up)
      socket.setSoTimeout(500);
      java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[65536];
      String finalEvent = "id: " + finalVersion + "\nevent: status\ndata: ";
      long readDeadline = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < readDeadline
          && !complete(received.toString(java.nio.charset.StandardCharsets.UTF_8), finalEvent)) {
        try {
          int n = socket.getInputStream().read(buf);
          if (n < 0) break;
          received.write(buf, 0, n);
        } catch (java.net.SocketTimeoutException quiet) {
          // nothing yet
        }
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("id: (\\d+)\nevent: status\ndata: ([^\n]*)\n\n")
          .matcher(received.toString(java.nio.charset.StandardCharsets.UTF_8));
      List<Long> ids = new ArrayList<>();
      String lastData = null;
      while (m.find()) {
        ids.add(Long.parseLong(m.group(1)));
        lastData = m.group(2);
      }
      System.out.printf("stalled client: %d changes, %d events delivered to a reading stream, %d received by the stalled one (%d bytes)%n",
          changes, delivered, ids.size(), received.size());
      assertFalse(ids.isEmpty());
      for (int i = 1; i < ids.size(); i++) assertTrue(ids.get(i) > ids.get(i - 1));
      assertEquals(finalVersion, ids.get(ids.size() - 1), "the newest state comes last");
      assertEquals(last, new JsonObject(lastData));
      // what the kernel held (its send buffer, at most tcp_wmem's maximum, and our receive window) plus one
      // event on its way into it and the newest one: anything more was a backlog kept by the server
      long eventBytes = lastData.length() + 40;
      long bound = sendBufferMax() + 2 * 65536 + 2 * eventBytes;
      assertTrue(received.size() <= bound, "a backlog was kept: " + ids.size() + " events (" + received.size()
          + " bytes, more than " + bound + ") of the " + delivered + " delivered");
    }
  }

  /** The most a TCP socket's send buffer grows to here (tcp_wmem's maximum; Linux's default where unreadable). */
  static long sendBufferMax() {
    try {
      String[] wmem = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_wmem")).trim().split("\\s+");
      return Long.parseLong(wmem[2]);
    } catch (Exception notLinux) {
      return 4 * 1024 * 1024;
    }
  }

  /** The event that starts with {@code head} has arrived whole (its blank line too). */
  static boolean complete(String received, String head) {
    int at = received.indexOf(head);
    return at >= 0 && received.indexOf("\n\n", at) >= 0;
  }

  @Test
  void aTerminalAccountGetsItsStateThenTheEndAndNothingWhenTheClientHasIt() throws Exception {
    String id = "ev-done";
    svc.createAccount(id);
    svc.execute("update accounts set migration_status = 'completed', progress = ?::jsonb where account_id = ?",
        progress(5), id);
    SseClient s = stream(id, CONVERSATIONS_CALLER, null);
    Item state = s.nextEvent(5000);
    assertEquals("completed", state.json().getString("migrationStatus"));
    assertTrue(s.nextEvent(5000).end(), "the stream ends after a terminal state");

    SseClient again = stream(id, CONVERSATIONS_CALLER, state.id());
    assertEquals(200, again.status);
    Item next = again.nextEvent(5000);
    assertNotNull(next);
    assertTrue(next.end(), "no duplicate, and nothing more will come: " + next);
  }

  @Test
  void credentialsAndVisibilityAreThoseOfGetAccount() throws Exception {
    svc.createAccount("ev-mine");
    svc.createAccount("ev-theirs");
    String token = svc.mobileToken("ev-mine", "ev-in-token-not-created");
    for (String id : List.of("ev-theirs", "ev-in-token-not-created", "ev-nowhere")) {
      SseClient s = stream(id, token, null);
      Response get = svc.http.get("/v1/accounts/" + id, token);
      assertEquals(404, get.status());
      assertEquals(404, s.status, id);
      assertEquals(get.body(), s.body, "identical to GET for " + id);
    }
    String wrongSecret = TestJwt.mobile("another-secret-0123456789-abcdefghijklmnopq", "user-1", List.of("ev-mine"));
    for (String bad : new String[] {null, wrongSecret, "not-a-token"}) {
      SseClient s = stream("ev-mine", bad, null);
      assertEquals(401, s.status);
      assertEquals("unauthorized", new JsonObject(s.body).getString("error"));
    }
    for (String good : List.of(token, CONVERSATIONS_CALLER, ADMIN)) {
      SseClient s = stream("ev-mine", good, null);
      assertEquals(200, s.status, s.body);
      assertEquals(get("ev-mine"), s.nextEvent(5000).json());
    }
  }

  @Test
  void anIdleStreamGetsHeartbeats() throws Exception {
    svc.createAccount("ev-idle");
    SseClient s = stream("ev-idle", ADMIN, null);
    assertNotNull(s.nextEvent(5000));
    List<Item> items = s.drain(1600);
    long beats = items.stream().filter(i -> "heartbeat".equals(i.comment())).count();
    assertTrue(beats >= 3, "a heartbeat every 300 ms: " + items);
    assertTrue(items.stream().noneMatch(i -> i.isEvent() || i.end()), items.toString());
  }

  @Test
  void pastTheStreamLimitTheAnswerIs503AndAClosedStreamFreesItsSlot() throws Exception {
    svc.createAccount("ev-limit");
    List<SseClient> streams = new ArrayList<>();
    for (int i = 0; i < MAX_STREAMS; i++) {
      // the other tests' streams are closed, but their server side may take a moment to notice
      SseClient s = openWithin("ev-limit", 5000);
      assertEquals(200, s.status, "stream " + i + ": " + s.body);
      assertNotNull(s.nextEvent(5000));
      streams.add(s);
    }
    SseClient refused = stream("ev-limit", ADMIN, null);
    assertEquals(503, refused.status);
    assertEquals("unavailable", new JsonObject(refused.body).getString("error"));
    // the rest of the API is not affected
    assertEquals(200, svc.http.get("/v1/accounts/ev-limit", ADMIN).status());

    streams.get(0).close();
    assertEquals(200, openWithin("ev-limit", 5000).status, "the closed stream's slot is free again");
  }

  SseClient openWithin(String accountId, long ms) {
    long deadline = System.currentTimeMillis() + ms;
    SseClient s;
    while ((s = stream(accountId, ADMIN, null)).status == 503 && System.currentTimeMillis() < deadline) {
      TestService.sleep(100);
    }
    return s;
  }

  static String progress(int messages) {
    return new JsonObject().put("phase", "recent_messages").put("threadsMigrated", 1).putNull("threadsTotal")
        .put("messagesMigrated", messages).put("attachmentsMigrated", 0).put("deadLetters", 0)
        .put("startedAt", "2026-11-25T10:00:00Z").put("updatedAt", "2026-11-25T10:00:0" + (messages % 10) + "Z")
        .putNull("etaSeconds").encode();
  }
}
