package dev.helpdesk.migrator.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SeedSummary.AccountSummary;
import dev.helpdesk.loadtests.data.SeedSummary.ThreadOutcome;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.support.Dynalite;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.migration.JobStore;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.subscribers.TestSubscriber;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The read-rate limit against a real dynalite, one item a page so every item costs one Query. */
@ExtendWith(VertxExtension.class)
class ReadRateLimiterTest {
  private static final String ACCOUNT = "acc-rate";
  /** 60 threads of a few small messages: 60 one-item thread pages, cheap to seed */
  private static final Profile RATE = new Profile("RATE", 60, 60, 3.0, 0.0, 1000, false, false);

  private static Vertx vertx;
  private static Dynalite dynalite;
  private static SourceTables tables;
  private static AccountSummary account;

  @BeforeAll
  static void seed(Vertx v) throws Exception {
    vertx = v;
    dynalite = Dynalite.start();
    tables = SourceTables.withSuffix("-rate");
    tables.create(dynalite.client()).get(60, TimeUnit.SECONDS);
    SeedSummary summary = DataGenerator.seed(dynalite.client(), tables, RATE, 7L, List.of(ACCOUNT),
        "http://127.0.0.1:1", System.currentTimeMillis()).get(120, TimeUnit.SECONDS);
    account = summary.account(ACCOUNT);
  }

  @AfterAll
  static void stop() {
    if (dynalite != null) dynalite.close();
  }

  private static Settings.Dynamo settings(long callTimeoutMs, int maxAttempts) {
    return new Settings.Dynamo(dynalite.endpoint(), "us-east-1", tables.threadsTable(), tables.messagesTable(),
        tables.threadsIndex(), "netty", 8, callTimeoutMs, maxAttempts, 0);
  }

  private static Set<String> expectedThreads() {
    return account.threads().stream().map(ThreadOutcome::threadId).collect(Collectors.toSet());
  }

  private static List<String> threadIds(List<Page> pages) {
    return pages.stream().flatMap(p -> p.items().stream()).map(i -> i.get("threadId").s()).toList();
  }

  @Test
  void pageRequestsAreSpacedByTheRateAndEveryItemArrivesOnce() {
    Context ctx = vertx.getOrCreateContext();
    ReadRateLimiter limiter = new ReadRateLimiter(vertx, 20);
    try (DynamoSource source = new DynamoSource(vertx, settings(5000, 4), 1, limiter)) {
      long start = System.nanoTime();
      List<Page> pages = source.allThreads(ctx, ACCOUNT, null).toList().timeout(120, TimeUnit.SECONDS).blockingGet();
      double seconds = (System.nanoTime() - start) / 1e9;
      long requests = source.stats().pages().sum();
      assertEquals(pages.size(), requests);
      assertTrue(requests >= 40, "enough requests to see the rate: " + requests);
      double floor = (requests - limiter.burst()) / 20.0;
      assertTrue(seconds >= floor - 0.05, requests + " requests in " + seconds + " s, at 20/s at least " + floor);
      List<String> ids = threadIds(pages);
      assertEquals(ids.size(), new HashSet<>(ids).size(), "no item twice");
      assertEquals(expectedThreads(), new HashSet<>(ids));
    }
  }

  @Test
  void flowsShareTheOneLimiter() {
    Context ctx = vertx.getOrCreateContext();
    ReadRateLimiter limiter = new ReadRateLimiter(vertx, 20);
    try (DynamoSource source = new DynamoSource(vertx, settings(5000, 4), 1, limiter)) {
      List<ThreadOutcome> threads = account.threads().stream().limit(12).toList();
      long start = System.nanoTime();
      long items = Flowable.fromIterable(threads)
          .flatMapSingle(t -> source.messages(ctx, t.threadId(), null).map(p -> (long) p.items().size())
              .reduce(0L, Long::sum), false, 12)
          .reduce(0L, Long::sum).timeout(120, TimeUnit.SECONDS).blockingGet();
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(threads.stream().mapToLong(ThreadOutcome::messagesWritten).sum(), items);
      long requests = source.stats().pages().sum();
      double floor = (requests - limiter.burst()) / 20.0;
      assertTrue(seconds >= floor - 0.05, "12 flows at once: " + requests + " requests in " + seconds + " s");
    }
  }

  @Test
  void aNewRateTakesEffectAtOnceEvenForWaitingRequests() {
    Context ctx = vertx.getOrCreateContext();
    ReadRateLimiter limiter = new ReadRateLimiter(vertx, 2);
    try (DynamoSource source = new DynamoSource(vertx, settings(5000, 4), 1, limiter)) {
      TestSubscriber<Page> sub = source.allThreads(ctx, ACCOUNT, null).test();
      sleep(1500);
      long early = source.stats().pages().sum();
      assertTrue(early >= 2 && early <= 6, "at 2/s with a burst of 2: " + early + " requests in 1.5 s");
      // at 2/s the rest would take tens of seconds
      long start = System.nanoTime();
      limiter.setRate(500);
      sub.awaitDone(30, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - start) / 1e9;
      sub.assertNoErrors().assertComplete();
      assertTrue(seconds < 10, "the rest took " + seconds + " s");
      List<String> ids = threadIds(sub.values());
      assertEquals(ids.size(), new HashSet<>(ids).size());
      assertEquals(expectedThreads(), new HashSet<>(ids));

      // and slower again
      limiter.setRate(4);
      long before = source.stats().pages().sum();
      start = System.nanoTime();
      TestSubscriber<Page> again = source.allThreads(ctx, ACCOUNT, null).test();
      sleep(2000);
      long second = source.stats().pages().sum() - before;
      assertTrue(second >= 4 && second <= 4 + 4 * 2 + 2, "at 4/s: " + second + " requests in 2 s");
      again.cancel();
    }
  }

  @Test
  void rateZeroIsUnlimited() {
    Context ctx = vertx.getOrCreateContext();
    ReadRateLimiter limiter = new ReadRateLimiter(vertx, 1);
    try (DynamoSource source = new DynamoSource(vertx, settings(5000, 4), 1, limiter)) {
      TestSubscriber<Page> sub = source.allThreads(ctx, ACCOUNT, null).test();
      sleep(500);
      limiter.setRate(0); // releases the waiting request too
      sub.awaitDone(30, TimeUnit.SECONDS);
      sub.assertNoErrors().assertComplete();
      long requests = source.stats().pages().sum();
      assertTrue(requests >= 40, "" + requests);
      long start = System.nanoTime();
      List<Page> pages = source.allThreads(ctx, ACCOUNT, null).toList().timeout(60, TimeUnit.SECONDS).blockingGet();
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(expectedThreads(), new HashSet<>(threadIds(pages)));
      assertTrue(seconds < requests / 1.0 / 4, pages.size() + " pages took " + seconds + " s at rate 0");
    }
  }

  @Test
  void waitingForATokenIsNotAStall() {
    Context ctx = vertx.getOrCreateContext();
    // guard: about 1 s per attempt, one attempt, plus 1 s; a token comes every 2.5 s
    ReadRateLimiter limiter = new ReadRateLimiter(vertx, 0.4);
    try (DynamoSource source = new DynamoSource(vertx, settings(1000, 1), 1, limiter)) {
      long start = System.nanoTime();
      List<Page> pages = source.allThreads(ctx, ACCOUNT, null).take(3).toList()
          .timeout(30, TimeUnit.SECONDS).blockingGet();
      double seconds = (System.nanoTime() - start) / 1e9;
      assertEquals(3, pages.size());
      assertTrue(seconds >= 4.9, "two waits of 2.5 s: " + seconds);
    }
  }

  @Test
  void eachInstanceTakesItsShareOfTheTotal() throws Exception {
    EmbeddedPg pg = EmbeddedPg.shared();
    String uri = pg.createDatabase("rate");
    String db = uri.substring(uri.lastIndexOf('/') + 1);
    Settings.Pg pgSettings = new Settings.Pg(uri, 2, 5000, 5000);
    Database.migrateSchema(pgSettings);
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("insert into instances values ('a', now()), ('b', now() - interval '1 second'),"
          + " ('dead', now() - interval '1 hour')");
    }
    Pool pool = Database.pool(vertx, pgSettings);
    try {
      JobStore store = new JobStore(pool, "a", 30_000);
      int live = await(store.liveInstances(3 * 10_000));
      assertEquals(2, live);
      ReadRateLimiter limiter = new ReadRateLimiter(vertx, 100);
      limiter.setRate(100.0 / live);
      assertEquals(50.0, limiter.rate());
      try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
        st.execute("delete from instances");
      }
      assertEquals(1, await(store.liveInstances(30_000)), "never fewer than one");
    } finally {
      await(pool.close());
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aHoldPausesEveryReadUntilReleasedAndNothingIsLostOrRepeated() {
    Context ctx = vertx.getOrCreateContext();
    ReadRateLimiter limiter = new ReadRateLimiter(vertx, 0);
    try (DynamoSource source = new DynamoSource(vertx, settings(5000, 4), 1, limiter)) {
      TestSubscriber<Page> sub = source.allThreads(ctx, ACCOUNT, null).test();
      awaitPages(source, 3);
      Runnable release = limiter.hold(60_000);
      sleep(300); // the request already sent when the hold came is answered
      long atHold = source.stats().pages().sum();
      sleep(1000);
      assertEquals(atHold, source.stats().pages().sum(), "no request while held");
      release.run();
      release.run(); // a second release of the same hold changes nothing
      sub.awaitDone(30, TimeUnit.SECONDS).assertNoErrors().assertComplete();
      List<String> ids = threadIds(sub.values());
      assertEquals(ids.size(), new HashSet<>(ids).size(), "no item twice");
      assertEquals(expectedThreads(), new HashSet<>(ids));
    }
  }

  @Test
  void aHoldNeverReleasedEndsAfterItsBoundAndTheNextWaitsTwiceAsLong() {
    Context ctx = vertx.getOrCreateContext();
    ReadRateLimiter limiter = new ReadRateLimiter(vertx, 0);
    try (DynamoSource source = new DynamoSource(vertx, settings(5000, 4), 1, limiter)) {
      TestSubscriber<Page> sub = source.allThreads(ctx, ACCOUNT, null).test();
      awaitPages(source, 3);
      long start = System.nanoTime();
      limiter.hold(1500); // a channels phase that hangs on Conversations
      sleep(300);
      long atHold = source.stats().pages().sum();
      sleep(700);
      assertEquals(atHold, source.stats().pages().sum(), "held within the bound");
      long held = awaitPages(source, atHold + 1) - start;
      assertTrue(held >= TimeUnit.MILLISECONDS.toNanos(1400), "reads again after the bound, not before: " + held / 1_000_000 + " ms");
      // another hold at once, with the first still not released: reads go on, held twice as long ago as they were held
      long before = source.stats().pages().sum();
      limiter.hold(60_000);
      awaitPages(source, before + 3);
      sub.awaitDone(30, TimeUnit.SECONDS).assertNoErrors().assertComplete();
      assertEquals(expectedThreads(), new HashSet<>(threadIds(sub.values())));
    }
  }

  /** Waits until the source has read {@code pages} pages (at most 10 s); answers when, in System.nanoTime(). */
  private static long awaitPages(DynamoSource source, long pages) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (source.stats().pages().sum() < pages) {
      assertTrue(System.nanoTime() < deadline, "only " + source.stats().pages().sum() + " of " + pages + " pages within 10 s");
      sleep(5);
    }
    return System.nanoTime();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
