package dev.helpdesk.migrator.media;

import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.conversations.Backoff;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

@ExtendWith(VertxExtension.class)
class MediaFetcherTest {
  private static final String TOKEN = "media-token-for-tests";
  private static final long MAX_BYTES = 64 * 1024;
  /** Generous, so a loaded build machine does not turn a slow answer into a retry. */
  private static final long TIMEOUT_MS = 3000;
  private static final long SHORT_TIMEOUT_MS = 300;
  private static final long STALL_MS = 5000;

  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final AtomicInteger redirectTargetHits = new AtomicInteger();
  private final AtomicInteger badTokens = new AtomicInteger();
  private final AtomicInteger holdInFlight = new AtomicInteger();
  private final AtomicInteger holdMaxInFlight = new AtomicInteger();
  private final byte[] photo = randomBytes(40_000, 1);
  /** /long sends all of it but its last chunk, then waits for this. */
  private final io.vertx.core.Promise<Void> releaseLong = io.vertx.core.Promise.promise();
  private static final int LONG_CHUNK = 32 * 1024;
  private final byte[] longBody = randomBytes(64 * LONG_CHUNK + 1000, 6);

  @TempDir Path dir;
  private Vertx vertx;
  private HttpServer media;
  private HttpServer elsewhere;
  private BlobStore store;
  private MediaFetcher fetcher;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    this.vertx = vertx;
    elsewhere = vertx.createHttpServer().requestHandler(req -> {
      redirectTargetHits.incrementAndGet();
      req.response().end("you should not be here");
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    media = vertx.createHttpServer().requestHandler(this::serveMedia).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    store = new BlobStore(vertx, dir.toString());
    store.init().await(5, TimeUnit.SECONDS);
    fetcher = fetcher(4, TIMEOUT_MS);
  }

  @AfterEach
  void stop() throws Exception {
    fetcher.close().await(5, TimeUnit.SECONDS);
  }

  private MediaFetcher fetcher(int concurrency, long timeoutMs) {
    return fetcher(concurrency, timeoutMs, MAX_BYTES);
  }

  private MediaFetcher fetcher(int concurrency, long timeoutMs, long maxBytes) {
    // Both local servers are allow-listed, so the redirect test proves redirects are never followed
    // even to a host the token could legitimately go to.
    Settings.Media settings = new Settings.Media(TOKEN,
        Set.of("127.0.0.1:" + media.actualPort(), "127.0.0.1:" + elsewhere.actualPort()),
        timeoutMs, 3, maxBytes, concurrency);
    return new MediaFetcher(vertx, settings, store, new MediaFetcher.Tuning(new Backoff(10, 40), 1000, 10_000));
  }

  private void serveMedia(HttpServerRequest req) {
    String path = req.path();
    int n = hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
    if (!("Bearer " + TOKEN).equals(req.getHeader("Authorization"))) badTokens.incrementAndGet();
    var res = req.response();
    switch (path) {
      case "/photo", "/photo-again" -> res.putHeader("Content-Type", "image/jpeg").end(Buffer.buffer(photo));
      case "/untyped" -> res.end(Buffer.buffer(randomBytes(100, 2)));
      case "/gone404" -> res.setStatusCode(404).end("not found");
      case "/gone410" -> res.setStatusCode(410).end("gone");
      case "/flaky" -> {
        if (n <= 2) res.setStatusCode(500).end("oops");
        else res.putHeader("Content-Type", "application/pdf").end(Buffer.buffer(photo));
      }
      case "/always500" -> res.setStatusCode(503).end();
      case "/redirect" -> res.setStatusCode(302)
          .putHeader("Location", "http://127.0.0.1:" + elsewhere.actualPort() + "/stolen").end();
      case "/slow" -> {
        res.setChunked(true).putHeader("Content-Type", "video/mp4");
        res.write(Buffer.buffer(randomBytes(1000, 3)));
        vertx.setTimer(STALL_MS, t -> res.end().onFailure(e -> {}));
      }
      case "/big" -> {
        res.setChunked(true);
        for (int i = 0; i < 10; i++) res.write(Buffer.buffer(randomBytes(16 * 1024, 10 + i))).onFailure(e -> {});
        res.end().onFailure(e -> {});
      }
      case "/long" -> {
        res.setChunked(true).putHeader("Content-Type", "video/mp4");
        int last = longBody.length - 1000;
        for (int at = 0; at < last; at += LONG_CHUNK) {
          res.write(Buffer.buffer(java.util.Arrays.copyOfRange(longBody, at, at + LONG_CHUNK))).onFailure(e -> {});
        }
        releaseLong.future().onComplete(v ->
            res.end(Buffer.buffer(java.util.Arrays.copyOfRange(longBody, last, longBody.length))).onFailure(e -> {}));
      }
      case "/big-declared" -> res.end(Buffer.buffer(randomBytes((int) MAX_BYTES + 1, 4)));
      case "/exactly-max" -> res.end(Buffer.buffer(randomBytes((int) MAX_BYTES, 5)));
      case "/hold" -> {
        int now = holdInFlight.incrementAndGet();
        holdMaxInFlight.accumulateAndGet(now, Math::max);
        vertx.setTimer(100, t -> {
          holdInFlight.decrementAndGet();
          res.end(req.query() == null ? "x" : req.query());
        });
      }
      default -> res.setStatusCode(400).end();
    }
  }

  private String url(String path) {
    return "http://127.0.0.1:" + media.actualPort() + path;
  }

  private int hitsOf(String path) {
    AtomicInteger c = hits.get(path);
    return c == null ? 0 : c.get();
  }

  private Fetched fetchOk(String path) throws Exception {
    return fetcher.fetch("att-" + path, url(path)).await(10, TimeUnit.SECONDS);
  }

  private MediaFailure fetchFails(String url) throws Exception {
    Future<Fetched> f = fetcher.fetch("att", url);
    try {
      f.await(15, TimeUnit.SECONDS);
    } catch (MediaFailure expected) {
      return expected;
    }
    fail("expected a MediaFailure for " + url + " but got " + f);
    return null;
  }

  @Test
  void storesTheServedBytesUnderTheirSha256() throws Exception {
    Fetched f = fetchOk("/photo");
    assertEquals(sha256(photo), f.sha256());
    assertEquals(photo.length, f.size());
    assertEquals("image/jpeg", f.contentType());
    Path file = dir.resolve(f.sha256().substring(0, 2)).resolve(f.sha256().substring(2, 4)).resolve(f.sha256());
    assertArrayEquals(photo, Files.readAllBytes(file));
    assertEquals(0, badTokens.get(), "every request carries the media token");
    assertEquals("application/octet-stream", fetchOk("/untyped").contentType());
    assertEquals(MAX_BYTES, fetchOk("/exactly-max").size(), "a body of exactly maxBytes is fine");
    assertNoPartials();
  }

  @Test
  void sameContentTwiceIsOneFile() throws Exception {
    Fetched a = fetchOk("/photo");
    Fetched b = fetchOk("/photo-again");
    Fetched c = fetchOk("/photo");
    assertEquals(a.sha256(), b.sha256());
    assertEquals(a.sha256(), c.sha256());
    assertEquals(List.of(dir.resolve(a.sha256().substring(0, 2)).resolve(a.sha256().substring(2, 4)).resolve(a.sha256())),
        blobFiles());
    assertNoPartials();
  }

  @Test
  void goneIsPermanentAfterOneRequest() throws Exception {
    for (String path : List.of("/gone404", "/gone410")) {
      MediaFailure f = fetchFails(url(path));
      assertTrue(f.permanent(), path);
      assertEquals(MediaFailure.Kind.GONE, f.kind());
      assertEquals(1, f.attempts());
      assertEquals(1, hitsOf(path), path + " is never retried");
    }
    assertEquals("CLOSED", fetcher.breakerState());
  }

  @Test
  void serverErrorsAreRetriedUntilSuccess() throws Exception {
    Fetched f = fetchOk("/flaky");
    assertEquals(3, hitsOf("/flaky"));
    assertEquals(sha256(photo), f.sha256());
    assertEquals("application/pdf", f.contentType());
  }

  @Test
  void persistentServerErrorsGiveUpAfterMaxAttempts() throws Exception {
    MediaFailure f = fetchFails(url("/always500"));
    assertFalse(f.permanent());
    assertEquals(MediaFailure.Kind.TRANSIENT, f.kind());
    assertEquals(3, f.attempts());
    assertEquals(3, hitsOf("/always500"));
  }

  @Test
  void redirectsAreNeverFollowed() throws Exception {
    MediaFailure f = fetchFails(url("/redirect"));
    assertTrue(f.permanent());
    assertEquals(MediaFailure.Kind.REDIRECT, f.kind());
    assertTrue(f.reason().contains("redirects are not followed"));
    assertEquals(1, hitsOf("/redirect"));
    Thread.sleep(100);
    assertEquals(0, redirectTargetHits.get());
  }

  @Test
  void refusedUrlsMakeNoRequest() throws Exception {
    for (String u : List.of("http://media.other.example/a.png", "file:///etc/passwd", "http://169.254.169.254/",
        "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/x", "ftp://127.0.0.1:" + media.actualPort() + "/x")) {
      MediaFailure f = fetchFails(u);
      assertTrue(f.permanent(), u);
      assertEquals(MediaFailure.Kind.REFUSED, f.kind(), u);
      assertEquals(0, f.attempts(), u);
    }
    assertTrue(hits.isEmpty(), "no request reached the media service: " + hits);
    assertEquals(0, redirectTargetHits.get());
  }

  @Test
  void oversizedBodiesArePermanentAndLeaveNoFile() throws Exception {
    for (String path : List.of("/big", "/big-declared")) {
      MediaFailure f = fetchFails(url(path));
      assertTrue(f.permanent(), path);
      assertEquals(MediaFailure.Kind.TOO_LARGE, f.kind(), path);
      assertEquals(1, hitsOf(path), path);
    }
    assertEquals(List.of(), blobFiles());
    assertNoPartials();
  }

  @Test
  void aStalledBodyTimesOutAndIsRetriedAsTransient() throws Exception {
    fetcher.close().await(5, TimeUnit.SECONDS);
    fetcher = fetcher(4, SHORT_TIMEOUT_MS);
    long start = System.nanoTime();
    MediaFailure f = fetchFails(url("/slow"));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertFalse(f.permanent());
    assertEquals(3, f.attempts());
    assertEquals(3, hitsOf("/slow"));
    assertTrue(tookMs < STALL_MS, "each attempt was cut off by the time-out, not the server's end: " + tookMs);
    assertEquals(List.of(), blobFiles());
    assertNoPartials();
  }

  @Test
  void aLongBodyIsOnDiskWhileItStreamsNotHeldInMemory() throws Exception {
    fetcher.close().await(5, TimeUnit.SECONDS);
    fetcher = fetcher(4, 10_000, 8L * 1024 * 1024);
    Future<Fetched> fetched = fetcher.fetch("att-long", url("/long"));
    long sent = longBody.length - 1000;
    long deadline = System.currentTimeMillis() + 10_000;
    long onDisk = 0;
    while (System.currentTimeMillis() < deadline && onDisk < sent - BlobWriter.MAX_QUEUED) {
      Thread.sleep(20);
      onDisk = partBytes();
    }
    assertTrue(onDisk >= sent - BlobWriter.MAX_QUEUED,
        "of " + sent + " bytes received so far, " + onDisk + " are in the part file: at most MAX_QUEUED may wait in memory");
    assertFalse(fetched.isComplete());
    releaseLong.complete();
    Fetched f = fetched.await(10, TimeUnit.SECONDS);
    assertEquals(sha256(longBody), f.sha256());
    assertEquals(longBody.length, f.size());
    Path file = dir.resolve(f.sha256().substring(0, 2)).resolve(f.sha256().substring(2, 4)).resolve(f.sha256());
    assertArrayEquals(longBody, Files.readAllBytes(file));
    assertNoPartials();
  }

  @Test
  void downloadsInFlightAreBoundedByConcurrency() throws Exception {
    fetcher.close().await(5, TimeUnit.SECONDS);
    fetcher = fetcher(2, TIMEOUT_MS);
    List<Future<Fetched>> all = new ArrayList<>();
    for (int i = 0; i < 8; i++) all.add(fetcher.fetch("att-" + i, url("/hold?n=" + i)));
    Future.all(all).await(10, TimeUnit.SECONDS);
    assertEquals(8, hitsOf("/hold"));
    assertTrue(holdMaxInFlight.get() <= 2, "max in flight " + holdMaxInFlight.get());
  }

  @Test
  void cleanPartialsRemovesLeftovers() throws Exception {
    Path tmp = dir.resolve("tmp");
    Path stale = Files.write(tmp.resolve("crashed.part"), new byte[] {1, 2, 3});
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    Path fresh = Files.write(tmp.resolve("in-flight-elsewhere.part"), new byte[] {4});
    Path unrelated = Files.write(tmp.resolve("keep.txt"), new byte[] {5});
    Files.setLastModifiedTime(unrelated, FileTime.from(Instant.now().minus(Duration.ofHours(1))));

    store.cleanPartials().await(5, TimeUnit.SECONDS);
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(fresh), "a young partial may belong to another instance's download");
    assertTrue(Files.exists(unrelated));

    store.cleanPartials(Duration.ZERO).await(5, TimeUnit.SECONDS);
    assertFalse(Files.exists(fresh));
  }

  @Test
  void sendToServesTheStoredBytes() throws Exception {
    Fetched f = fetchOk("/photo");
    HttpServer api = vertx.createHttpServer().requestHandler(req -> store.sendTo(req.path().substring(1), req.response())
            .onFailure(e -> req.response().setStatusCode(404).end()))
        .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    var client = vertx.createHttpClient();
    try {
      Buffer body = client.request(HttpMethod.GET, api.actualPort(), "127.0.0.1", "/" + f.sha256())
          .compose(r -> r.send()).compose(HttpClientResponse::body).await(5, TimeUnit.SECONDS);
      assertArrayEquals(photo, body.getBytes());
      int missing = client.request(HttpMethod.GET, api.actualPort(), "127.0.0.1", "/" + "0".repeat(64))
          .compose(r -> r.send()).map(HttpClientResponse::statusCode).await(5, TimeUnit.SECONDS);
      assertEquals(404, missing);
      int traversal = client.request(HttpMethod.GET, api.actualPort(), "127.0.0.1", "/..%2F..%2Fetc%2Fpasswd")
          .compose(r -> r.send()).map(HttpClientResponse::statusCode).await(5, TimeUnit.SECONDS);
      assertEquals(404, traversal);
    } finally {
      client.close();
    }
  }

  @Test
  void urlPolicy() {
    UrlPolicy p = new UrlPolicy(Set.of("media.example", "cdn.example:8443", "127.0.0.1:9000", "10.0.0.5", "[::1]:9000"));
    for (String ok : List.of("http://media.example/a/b.png?x=1", "https://media.example/a", "http://MEDIA.example:80/a",
        "https://cdn.example:8443/z", "http://127.0.0.1:9000/a", "http://[::1]:9000/a", "http://media.example")) {
      assertTrue(p.check(ok).allowed(), ok + ": " + p.check(ok).refusal());
    }
    assertEquals("/", p.check("http://media.example").target().requestUri());
    assertEquals("/a%20b?q=1", p.check("http://media.example/a%20b?q=1#frag").target().requestUri());
    for (String bad : List.of("", "media.example/a", "/relative", "//media.example/a", "mailto:a@media.example",
        "file:///etc/passwd", "ftp://media.example/a", "gopher://media.example/", "jar:http://media.example/x.jar!/a",
        "http://user:pw@media.example/a", "http://user@media.example/a", "http://media.example:8080/a",
        "https://cdn.example/a", "http://evil.example/a",
        "http://media.example.evil.example/a", "http://media.example./a", "http://127.0.0.1/a", "http://127.0.0.1:9001/a",
        "http://10.0.0.5/a", "http://169.254.169.254/", "http://[fe80::1]/", "http://[fe80::1%25eth0]:9000/",
        "http://2130706433/", "http://0x7f.0.0.1/", "http://127.1/", "http://media_example/a", "http://media.example/a b",
        "http://media.example/" + "a".repeat(2048))) {
      UrlPolicy.Verdict v = p.check(bad);
      assertFalse(v.allowed(), bad);
      assertNotNull(v.refusal(), bad);
    }
    assertNotNull(p.check(null).refusal());
    UrlPolicy bare = new UrlPolicy(Set.of("127.0.0.1", "169.254.169.254:80"));
    assertFalse(bare.check("http://127.0.0.1/").allowed(), "a loopback literal needs an exact host:port entry");
    assertTrue(bare.check("http://169.254.169.254/").allowed(), "an exact entry is the operator's explicit choice");
  }

  private void assertNoPartials() throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".part")).toList());
    }
  }

  private long partBytes() throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      long total = 0;
      for (Path p : s.filter(p -> p.toString().endsWith(".part")).toList()) {
        try {
          total += Files.size(p);
        } catch (java.nio.file.NoSuchFileException movedMeanwhile) {
          // published between the walk and the size
        }
      }
      return total;
    }
  }

  private List<Path> blobFiles() throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).filter(p -> !p.startsWith(dir.resolve("tmp"))).toList();
    }
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
