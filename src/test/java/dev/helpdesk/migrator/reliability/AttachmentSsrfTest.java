package dev.helpdesk.migrator.reliability;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.sim.Stats;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Attachment URLs that try to make the service fetch something else, with its media token:
 * another host and port, a name outside the allow-list, {@code file:}, the cloud metadata address,
 * user-info and numeric-host tricks, and a media-host URL that answers with a redirect to another
 * host. A second local server records every request it gets and its Authorization header. Each
 * such attachment is dead-lettered, the account completes, and the media token reaches no one
 * but the media host.
 */
@ExtendWith(VertxExtension.class)
class AttachmentSsrfTest {
  static TestService svc;
  static HttpServer elsewhere;
  static final List<String> elsewhereRequests = new CopyOnWriteArrayList<>();
  static final String ID = "ssrf-1";

  @BeforeAll
  static void start(Vertx vertx) {
    elsewhere = TestService.await(vertx.createHttpServer().requestHandler(req -> {
      elsewhereRequests.add(req.method() + " " + req.uri() + " authorization=" + req.getHeader("Authorization"));
      req.response().end("not the media service");
    }).listen(0, "127.0.0.1"));
    svc = TestService.prepare(vertx).configure(c -> c.put("MEDIA_MAX_ATTEMPTS", 2)).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
    TestService.await(elsewhere.close());
  }

  @Test
  void hostileAttachmentUrlsAreDeadLetteredAndTheMediaTokenGoesOnlyToTheMediaHost() {
    SeedSummary seeded = svc.seed(Profile.SAMPLE.withThreads(4, 4).withAttachmentRatio(1.0).withMaxAttachmentBytes(1000),
        95, List.of(ID));
    SourceSnapshot snap = TestService.await(Future.fromCompletionStage(
        SourceSnapshot.read(TestService.dynalite().client(), svc.tables, ID)));
    String media = svc.simulator.mediaBaseUrl();
    String other = "http://127.0.0.1:" + elsewhere.actualPort();
    Map<String, String> hostile = new LinkedHashMap<>();
    hostile.put("other-port", other + "/media/x?size=10");
    hostile.put("other-name", "http://media.evil.example/media/x");
    hostile.put("file", "file:///etc/passwd");
    hostile.put("metadata", "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
    hostile.put("metadata-v6", "http://[::ffff:169.254.169.254]/latest/meta-data/");
    hostile.put("userinfo", media.replace("http://", "http://u:p@") + "/media/x");
    hostile.put("userinfo-host", "http://127.0.0.1:" + svc.simulator.port() + "@127.0.0.1:" + elsewhere.actualPort() + "/x");
    hostile.put("decimal-host", "http://2130706433:" + elsewhere.actualPort() + "/x");
    hostile.put("redirect", null); // a good media URL; the media host answers 302 to the other server

    // rewrite one attachment entry per hostile case in the source, as dirty Conversations data would carry them
    Map<String, String> attachmentOfCase = new LinkedHashMap<>();
    List<String> cases = new ArrayList<>(hostile.keySet());
    outer:
    for (Map<String, AttributeValue> thread : snap.threads()) {
      for (Map<String, AttributeValue> message : snap.messages(thread.get("threadId").s())) {
        if (cases.isEmpty()) break outer;
        AttributeValue list = message.get("attachments");
        if (list == null || !list.hasL() || list.l().isEmpty()) continue;
        String c = cases.remove(0);
        Map<String, AttributeValue> first = new HashMap<>(list.l().get(0).m());
        String attachmentId = first.get("attachmentId").s();
        attachmentOfCase.put(c, attachmentId);
        if (hostile.get(c) != null) {
          first.put("url", AttributeValue.fromS(hostile.get(c)));
          List<AttributeValue> entries = new ArrayList<>(list.l());
          entries.set(0, AttributeValue.fromM(first));
          Map<String, AttributeValue> changed = new HashMap<>(message);
          changed.put("attachments", AttributeValue.fromL(entries));
          TestService.await(Future.fromCompletionStage(TestService.dynalite().client().putItem(PutItemRequest.builder()
              .tableName(svc.tables.messagesTable()).item(changed).build())));
        } else {
          svc.simulator.faults().mediaRedirect(attachmentId, other + "/stolen/" + attachmentId);
        }
      }
    }
    assertEquals(hostile.keySet(), attachmentOfCase.keySet(), "an attachment for every case");

    svc.simulator.stats().reset();
    svc.createAccount(ID);
    svc.startMigration(ID, false);
    JsonObject account = svc.awaitStatus(ID, "completed", 60_000);

    for (var e : attachmentOfCase.entrySet()) {
      String a = e.getValue();
      // a refused URL may be dead-lettered before any attachment row exists; a redirect fails its row
      String state = one("select state from attachments where attachment_id = ?", a);
      assertTrue(state == null || state.equals("failed"), e.getKey() + ": state " + state);
      JsonObject letter = letterFor(a);
      assertNotNull(letter, e.getKey() + ": no dead letter for " + a);
      assertEquals("attachment", letter.getString("kind"));
      System.out.println("ssrf " + e.getKey() + ": " + letter.getString("reason"));
    }
    assertEquals(List.of(), elsewhereRequests, "requests that reached the other server");

    // every request the media host got was for an allowed URL, and carried the token
    long allowed = snap.attachmentCount() - hostile.size() + 1; // the redirecting one was asked once
    assertEquals(allowed, svc.simulator.stats().requests(Stats.MEDIA), "media requests");
    assertTrue(svc.simulator.stats().log().stream().filter(r -> r.kind().equals(Stats.MEDIA)).allMatch(Stats.Request::authorization));
    assertEquals(1, svc.simulator.stats().answers(Stats.MEDIA, 302), "the redirect was asked once and not followed");
    assertEquals(snap.attachmentCount() - hostile.size(),
        svc.count("select count(*) from attachments where account_id = ? and state = 'copied'", ID));
    assertEquals(seeded.account(ID).goodMessages(), svc.count("select count(*) from messages where account_id = ?", ID),
        "each hostile attachment's message is still migrated");
    assertTrue(account.getJsonObject("reconciliation").getJsonObject("attachments").getBoolean("ok"), account.encode());
    System.out.println("ssrf: " + hostile.size() + " hostile URLs dead-lettered, " + elsewhereRequests.size()
        + " requests elsewhere, " + allowed + " media requests all to the media host with the token");
  }

  private static String one(String sql, String param) {
    try (var c = svc.pg.connect(svc.database); var st = c.prepareStatement(sql)) {
      st.setString(1, param);
      try (var rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The account's dead letter naming this attachment, through the operators' API. */
  private static JsonObject letterFor(String attachmentId) {
    String cursor = null;
    do {
      var page = svc.http.get("/v1/accounts/" + ID + "/dead-letters?limit=200" + (cursor == null ? "" : "&cursor=" + cursor), ADMIN).json();
      for (Object o : page.getJsonArray("items")) {
        JsonObject l = (JsonObject) o;
        if (attachmentId.equals(l.getJsonObject("sourceKey").getString("attachmentId"))) return l;
      }
      cursor = page.getString("nextCursor");
    } while (cursor != null);
    return null;
  }
}
