package dev.helpdesk.loadtests.harness;

import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.source.DynamoSource;
import dev.helpdesk.migrator.source.Page;
import io.reactivex.rxjava3.core.Flowable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The two ceilings of a run, measured on the data just seeded:
 * <ul>
 *   <li>R: items/s read from the source through the service's own {@link DynamoSource} (same SDK
 *   client, same paginators): for each account all thread pages, then every thread's message pages
 *   with k message queries in flight; nothing written. The best k wins.</li>
 *   <li>S: rows/s written to PostgreSQL by the service's statement shape (multi-row upsert over
 *   unnest arrays, vertx-pg-client) into scratch copies of the threads and messages tables
 *   ({@code like ... including all}, plus the messages→threads foreign key), from rows made of
 *   the items R read; nothing read. c statements in flight; the best c wins.</li>
 *   <li>C = R·S/(R+S): reading then writing every item, with no overlap, at the two best rates.
 *   A pipeline that overlaps them could in principle reach min(R, S), but on one machine both
 *   sides share the same two cores, so C is the figure an end-to-end rate should stay under.</li>
 *   <li>Each of R and S is measured again at its best concurrency once O is done, and the faster of its
 *   trials kept: measured once, on a shared machine, a ceiling can fall in a slow moment (O came out
 *   above C in five of seven invocations in session 16), and a low ceiling flatters every ratio to it.</li>
 *   <li>O: the same reads and the same writes at once (R's best k, S's best c), with nothing between
 *   them but building each batch's rows: no transaction, checkpoint, progress, dead letters or
 *   attachments. What any pipeline built on these two clients reaches on this machine; the
 *   end-to-end rate over O is the share the pipeline's own work leaves, and O over C how far
 *   overlapping gets past the serial composition.</li>
 * </ul>
 */
final class Ceilings {
  /**
   * @param requests DynamoDB requests (R, O) or statements (S) the trial sent
   * @param cpuSec   the harness JVM's CPU time over the trial, which it spends on nothing else meanwhile: the
   *                 clients' own cost (the SDK's request and response handling, the PostgreSQL client's encoding)
   */
  record Trial(int concurrency, long items, double seconds, long requests, double cpuSec) {
    double rate() {
      return seconds <= 0 ? 0 : items / seconds;
    }

    double cpuMicrosPerItem() {
      return items == 0 ? Double.NaN : cpuSec * 1e6 / items;
    }
  }

  /** This JVM's CPU time so far, in seconds (NaN where the JVM cannot tell). */
  static double cpuNow() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() / 1e9 : Double.NaN;
  }

  /**
   * @param overlapped        O, or null when it was not measured
   * @param overlappedMachine where the machine's CPU went during O (dynalite's and PostgreSQL's shares are its stores' cost)
   */
  record Result(List<Trial> reads, List<Trial> writes, Trial overlapped, MachineCpu.Usage overlappedMachine, int batchSize,
                long sampleThreads, long sampleMessages) {
    Trial bestRead() {
      return reads.stream().max((a, b) -> Double.compare(a.rate(), b.rate())).orElse(null);
    }

    Trial bestWrite() {
      return writes.stream().max((a, b) -> Double.compare(a.rate(), b.rate())).orElse(null);
    }

    double r() {
      return bestRead() == null ? Double.NaN : bestRead().rate();
    }

    double s() {
      return bestWrite() == null ? Double.NaN : bestWrite().rate();
    }

    double c() {
      return r() * s() / (r() + s());
    }

    double o() {
      return overlapped == null ? Double.NaN : overlapped.rate();
    }
  }

  private final Vertx vertx;
  private final Stack stack;
  private final List<Map<String, AttributeValue>> keptThreads = Collections.synchronizedList(new ArrayList<>());
  private final List<Map<String, AttributeValue>> keptMessages = Collections.synchronizedList(new ArrayList<>());

  Ceilings(Vertx vertx, Stack stack) {
    this.vertx = vertx;
    this.stack = stack;
  }

  Result measure(List<String> accounts, List<Integer> readConcurrency, List<Integer> writeConcurrency, int batchSize,
                 int keepMessages, long minWriteRows, boolean overlapped) throws Exception {
    Stack.log("ceiling R: warm-up read of " + accounts.get(0));
    readAll(List.of(accounts.get(0)), 8, 0);
    List<Trial> reads = new ArrayList<>();
    for (int k : readConcurrency) {
      Trial t = readAll(accounts, k, reads.isEmpty() ? keepMessages : 0);
      reads.add(t);
      Stack.log(String.format("ceiling R: k=%d  %d items in %.2f s = %.0f items/s", k, t.items(), t.seconds(), t.rate()));
    }
    int bestK = reads.stream().max((a, b) -> Double.compare(a.rate(), b.rate())).map(Trial::concurrency).orElse(8);
    OverlappedCeiling.Measured[] o = {null};
    List<Trial> writes = writeAll(writeConcurrency, batchSize, minWriteRows, (pool, bestC) -> {
      if (!overlapped) return;
      try {
        o[0] = new OverlappedCeiling(vertx, stack).measure(pool, accounts, bestK, bestC, batchSize);
      } catch (RuntimeException e) {
        // a diagnostic beside R, S and C: the report goes on without it
        Stack.log("ceiling O failed, left out: " + e);
        return;
      }
      Trial t = o[0].trial();
      Stack.log(String.format("ceiling O: k=%d c=%d  %d items in %.2f s = %.0f items/s", bestK, bestC, t.items(), t.seconds(), t.rate()));
    });
    Trial again = readAll(accounts, bestK, 0);
    reads.add(again);
    Stack.log(String.format("ceiling R: k=%d again  %d items in %.2f s = %.0f items/s", bestK, again.items(), again.seconds(),
        again.rate()));
    return new Result(reads, writes, o[0] == null ? null : o[0].trial(), o[0] == null ? null : o[0].machine(), batchSize,
        keptThreads.size(), keptMessages.size());
  }

  /** The service's own source, with room for k queries in flight. */
  static DynamoSource source(Vertx vertx, Stack stack, int k) {
    return new DynamoSource(vertx, new Settings.Dynamo(stack.dynamoEndpoint, Stack.REGION, stack.tables.threadsTable(),
        stack.tables.messagesTable(), stack.tables.threadsIndex(), "netty", Math.max(k, 2), 10_000, 8, 0));
  }

  private Trial readAll(List<String> accounts, int k, int keep) {
    try (DynamoSource src = source(vertx, stack, k)) {
      Context ctx = vertx.getOrCreateContext();
      long items = 0;
      long messagesRead = 0;
      double cpu0 = cpuNow();
      long t0 = System.nanoTime();
      for (String account : accounts) {
        List<Map<String, AttributeValue>> threads = src.allThreads(ctx, account, null)
            .concatMapIterable(Page::items).toList().blockingGet();
        if (keep > 0) keptThreads.addAll(threads);
        long messages = Flowable.fromIterable(threads)
            .flatMap(t -> src.messages(ctx, t.get("threadId").s(), null), false, k)
            .map(p -> {
              if (keep > 0 && keptMessages.size() < keep) keptMessages.addAll(p.items());
              return (long) p.items().size();
            })
            .reduce(0L, Long::sum).blockingGet();
        items += threads.size() + messages;
        messagesRead += messages;
      }
      // S must write the workload's mix: keeping every thread but capping messages made a whale's
      // sample 20,000 threads to 50,000 messages (29 % threads) where the workload has 2 %
      // (the threads of the kept messages, which their foreign key needs anyway)
      if (keep > 0 && messagesRead > keptMessages.size()) {
        Set<String> owners = new HashSet<>();
        keptMessages.forEach(m -> owners.add(m.get("threadId").s()));
        keptThreads.removeIf(t -> !owners.contains(t.get("threadId").s()));
      }
      return new Trial(k, items, (System.nanoTime() - t0) / 1e9, src.stats().requests().sum(), cpuNow() - cpu0);
    }
  }

  // ---- S ----

  private record Batch(String sql, Tuple params, int rows) {}

  /** Runs in {@link #writeAll}'s database once S is known: {@code bestC} is S's best concurrency. */
  private interface AfterWrites {
    void run(Pool pool, int bestC) throws Exception;
  }

  private List<Trial> writeAll(List<Integer> concurrency, int batchSize, long minRows, AfterWrites after) throws Exception {
    if (keptThreads.isEmpty()) return List.of();
    String uri = stack.newDatabase("lt_ceiling");
    int maxC = concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
    Database.migrateSchema(vertx, new Settings.Pg(uri, maxC, 5000, 60_000)).await();
    Pool pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(maxC))
        .connectingTo(PgConnectOptions.fromUri(uri).setPipeliningLimit(1))
        .using(vertx).build();
    try {
      for (String ddl : List.of(
          "create table lt_scratch_threads (like threads including all)",
          "create table lt_scratch_messages (like messages including all)",
          "alter table lt_scratch_messages add foreign key (thread_id) references lt_scratch_threads (thread_id)")) {
        pool.query(ddl).execute().await();
      }
      // every row is built before the clock starts: only the writes are timed
      int copies = (int) Math.max(1, Math.ceil(minRows / (double) (keptThreads.size() + keptMessages.size())));
      List<Batch> batches = batches(batchSize, copies);
      long rows = batches.stream().mapToLong(Batch::rows).sum();
      List<Trial> out = new ArrayList<>();
      for (int c : concurrency) out.add(writeTrial(pool, batches, rows, c, ""));
      int bestC = out.stream().max((a, b) -> Double.compare(a.rate(), b.rate())).orElseThrow().concurrency();
      after.run(pool, bestC);
      out.add(writeTrial(pool, batches, rows, bestC, " again"));
      return out;
    } finally {
      pool.close().await();
    }
  }

  private Trial writeTrial(Pool pool, List<Batch> batches, long rows, int c, String label) {
    pool.query("truncate lt_scratch_messages, lt_scratch_threads").execute().await();
    pool.query("checkpoint").execute().await();
    double cpu0 = cpuNow();
    long t0 = System.nanoTime();
    runBatches(pool, batches, c).await();
    Trial t = new Trial(c, rows, (System.nanoTime() - t0) / 1e9, batches.size(), cpuNow() - cpu0);
    Stack.log(String.format("ceiling S: c=%d%s  %d rows in %.2f s = %.0f rows/s", c, label, t.items(), t.seconds(), t.rate()));
    return t;
  }

  /** Threads first (the messages' foreign key needs them), then messages, each grouped by account. */
  private List<Batch> batches(int size, int copies) {
    List<Batch> threadBatches = new ArrayList<>();
    List<Batch> messageBatches = new ArrayList<>();
    for (int copy = 0; copy < copies; copy++) {
      String suffix = copy == 0 ? "" : "~" + copy;
      for (List<Map<String, AttributeValue>> group : byAccount(keptThreads, size)) {
        threadBatches.add(new Batch(CeilingRows.UPSERT_THREADS, CeilingRows.threadTuple(group, suffix), group.size()));
      }
      for (List<Map<String, AttributeValue>> group : byAccount(keptMessages, size)) {
        messageBatches.add(new Batch(CeilingRows.UPSERT_MESSAGES, CeilingRows.messageTuple(group, suffix), group.size()));
      }
    }
    List<Batch> all = new ArrayList<>(threadBatches);
    all.addAll(messageBatches);
    return all;
  }

  private static List<List<Map<String, AttributeValue>>> byAccount(List<Map<String, AttributeValue>> items, int size) {
    Map<String, List<Map<String, AttributeValue>>> groups = new LinkedHashMap<>();
    synchronized (items) {
      for (Map<String, AttributeValue> item : items) {
        groups.computeIfAbsent(CeilingRows.s(item, "accountId", "?"), a -> new ArrayList<>()).add(item);
      }
    }
    List<List<Map<String, AttributeValue>>> out = new ArrayList<>();
    groups.values().forEach(g -> {
      for (int i = 0; i < g.size(); i += size) out.add(g.subList(i, Math.min(g.size(), i + size)));
    });
    return out;
  }

  private Future<Void> runBatches(Pool pool, List<Batch> batches, int c) {
    Promise<Void> done = Promise.promise();
    int[] next = {0};
    int[] inFlight = {0};
    boolean[] failed = {false};
    Context ctx = vertx.getOrCreateContext();
    ctx.runOnContext(v -> pump(pool, batches, c, next, inFlight, failed, done));
    return done.future();
  }

  /** Keeps c statements in flight; threads' batches all finish before the first messages' batch starts. */
  private void pump(Pool pool, List<Batch> batches, int c, int[] next, int[] inFlight, boolean[] failed,
                    Promise<Void> done) {
    while (!failed[0] && inFlight[0] < c && next[0] < batches.size()) {
      Batch b = batches.get(next[0]);
      boolean firstMessages = b.sql() == CeilingRows.UPSERT_MESSAGES && (next[0] == 0 || batches.get(next[0] - 1).sql() == CeilingRows.UPSERT_THREADS);
      if (firstMessages && inFlight[0] > 0) break;
      next[0]++;
      inFlight[0]++;
      pool.preparedQuery(b.sql()).execute(b.params()).onComplete(ar -> {
        inFlight[0]--;
        if (ar.failed()) {
          failed[0] = true;
          done.tryFail(ar.cause());
          return;
        }
        pump(pool, batches, c, next, inFlight, failed, done);
      });
    }
    if (!failed[0] && inFlight[0] == 0 && next[0] >= batches.size()) done.tryComplete();
  }
}
