package dev.helpdesk.loadtests.harness;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * The two ceilings of copying attachments, measured on the attachments just seeded (their URLs and sizes, read back
 * from the source's messages table), beside the latency bound {@code concurrency / media latency}:
 * <ul>
 *   <li>M, the media service: a raw loop of concurrent GETs on the same URLs with the same token (a Vert.x HttpClient
 *   on its own Vert.x instance with two event loops, so it never shares a thread with the simulator; loops spread over
 *   contexts; body read and dropped; c requests in flight) for a few seconds; attachments/s and MB/s. Measured at each
 *   concurrency swept, before the runs and again after them (the machine's load moves), so the service at c can be set
 *   beside a bare client at c; M is the best of them all.</li>
 *   <li>D, the disk: files of the same sizes written the way the service's {@code BlobWriter} / {@code BlobStore}
 *   write them (a new {@code .part} file under {@code tmp/<owner>/}, 64 KB writes, {@code force(false)} as
 *   {@code AsyncFile.flush()} does, close, then {@code ab/cd/<name>} created and the file moved there atomically),
 *   by t threads at once, into a scratch directory under target/; files/s and MB/s. No SHA-256: D is the disk's.
 *   The best t wins.</li>
 * </ul>
 */
final class MediaCeilings {
  record Attachment(String url, long size) {}

  /**
   * @param when "before" or "after" the runs
   * @param errors requests that did not answer 200 (M) or files that failed (D)
   */
  record Trial(String when, int concurrency, long files, long bytes, double seconds, long errors) {
    double filesPerSec() {
      return seconds <= 0 ? Double.NaN : files / seconds;
    }

    double mbPerSec() {
      return seconds <= 0 ? Double.NaN : bytes / 1e6 / seconds;
    }
  }

  record Result(long latencyMs, int sampleFiles, long sampleBytes, List<Trial> media, List<Trial> disk) {
    Trial bestMedia() {
      return media.stream().max(Comparator.comparingDouble(Trial::filesPerSec)).orElse(null);
    }

    Trial bestDisk() {
      return disk.stream().max(Comparator.comparingDouble(Trial::filesPerSec)).orElse(null);
    }

    /** M in attachments/s of this size mix. */
    double m() {
      return bestMedia() == null ? Double.NaN : bestMedia().filesPerSec();
    }

    /** D in files/s of this size mix. */
    double d() {
      return bestDisk() == null ? Double.NaN : bestDisk().filesPerSec();
    }

    /** The raw client's best rate at exactly this concurrency, NaN when not measured there. */
    double mediaAt(int concurrency) {
      return media.stream().filter(t -> t.concurrency() == concurrency).mapToDouble(Trial::filesPerSec).max().orElse(Double.NaN);
    }

    Result withMedia(List<Trial> more) {
      List<Trial> all = new ArrayList<>(media);
      all.addAll(more);
      return new Result(latencyMs, sampleFiles, sampleBytes, all, disk);
    }

    /** concurrency / latency: no client with c requests in flight can finish more per second. Infinite at 0 ms. */
    double latencyBound(int concurrency) {
      return latencyMs <= 0 ? Double.POSITIVE_INFINITY : concurrency * 1000.0 / latencyMs;
    }

    double meanBytes() {
      return sampleFiles == 0 ? Double.NaN : sampleBytes / (double) sampleFiles;
    }
  }

  private final Stack stack;
  private final Path scratchRoot;
  private final Scratch scratch;
  private List<Attachment> all = List.of();

  MediaCeilings(Stack stack, Path scratchRoot, Scratch scratch) {
    this.stack = stack;
    this.scratch = scratch;
    this.scratchRoot = scratchRoot;
  }

  Result measure(List<String> accountIds, List<Integer> mediaConcurrency, List<Integer> diskThreads, long trialMs) throws Exception {
    all = attachments(Set.copyOf(accountIds));
    if (all.isEmpty()) throw new IllegalStateException("no attachments seeded for " + accountIds + ": nothing to measure M and D on");
    // one fixed order for every trial, not the seeding order (which groups sizes by thread)
    Collections.shuffle(all, new Random(42));
    long bytes = all.stream().mapToLong(Attachment::size).sum();
    Stack.log(String.format("media ceilings on %,d attachments (%.1f MB, mean %.0f KB), media latency %d ms ...", all.size(),
        bytes / 1e6, bytes / 1e3 / all.size(), stack.sim.faults().mediaLatencyMs()));
    List<Trial> media = media("before", mediaConcurrency, trialMs);
    List<Trial> disk = new ArrayList<>();
    for (int threads : diskThreads) {
      Trial t = diskTrial(threads, trialMs);
      disk.add(t);
      Stack.log(String.format("D at t=%d: %.0f files/s, %.1f MB/s (%,d in %.2f s, %d errors)", threads, t.filesPerSec(), t.mbPerSec(),
          t.files(), t.seconds(), t.errors()));
    }
    return new Result(stack.sim.faults().mediaLatencyMs(), all.size(), bytes, media, disk);
  }

  /** M's trials again (after the runs): the machine's load moves, and a ceiling is the best seen. */
  List<Trial> media(String when, List<Integer> mediaConcurrency, long trialMs) {
    Vertx own = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(1));
    try {
      // untimed warm-up of the client and the media route (JIT, connections), so the first trial is not the cold one
      mediaTrial(own, when, 16, Math.min(trialMs, 2000));
      List<Trial> media = new ArrayList<>();
      for (int c : mediaConcurrency) {
        Trial t = mediaTrial(own, when, c, trialMs);
        media.add(t);
        Stack.log(String.format("M (%s the runs) at c=%d: %.0f attachments/s, %.1f MB/s (%,d in %.2f s, %d errors)", when, c,
            t.filesPerSec(), t.mbPerSec(), t.files(), t.seconds(), t.errors()));
      }
      return media;
    } finally {
      own.close().await();
    }
  }

  /** Every attachment URL of the accounts that points at the simulator's media route, with its declared size. */
  private List<Attachment> attachments(Set<String> accountIds) {
    String prefix = stack.sim.mediaBaseUrl() + "/media/";
    List<Attachment> out = new ArrayList<>();
    Map<String, AttributeValue> startKey = null;
    do {
      ScanRequest.Builder req = ScanRequest.builder().tableName(stack.tables.messagesTable())
          .projectionExpression("accountId, attachments");
      if (startKey != null) req.exclusiveStartKey(startKey);
      ScanResponse page = stack.dynamo.scan(req.build()).join();
      for (Map<String, AttributeValue> item : page.items()) {
        AttributeValue account = item.get("accountId");
        AttributeValue list = item.get("attachments");
        if (account == null || !accountIds.contains(account.s()) || list == null || !list.hasL()) continue;
        for (AttributeValue a : list.l()) {
          if (!a.hasM()) continue;
          AttributeValue url = a.m().get("url");
          AttributeValue size = a.m().get("size");
          if (url == null || url.s() == null || !url.s().startsWith(prefix) || size == null || size.n() == null) continue;
          String id = url.s().substring(prefix.length());
          if (id.contains("-gone404-") || id.contains("-gone410-") || id.contains("-err500-")) continue;
          out.add(new Attachment(url.s(), Long.parseLong(size.n())));
        }
      }
      startKey = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
    } while (startKey != null);
    return out;
  }

  /** c loops, each GETting the next URL as soon as its previous answer's body has been read and dropped. */
  private Trial mediaTrial(Vertx own, String when, int c, long trialMs) {
    HttpClientAgent client = own.createHttpClient(new HttpClientOptions().setKeepAlive(true).setMaxRedirects(0),
        new PoolOptions().setHttp1MaxSize(c));
    try {
      AtomicInteger next = new AtomicInteger();
      AtomicLong files = new AtomicLong();
      AtomicLong bytes = new AtomicLong();
      AtomicLong errors = new AtomicLong();
      AtomicLong lastEnd = new AtomicLong();
      AtomicInteger running = new AtomicInteger(c);
      Promise<Void> done = Promise.promise();
      long t0 = System.nanoTime();
      long deadline = t0 + trialMs * 1_000_000L;
      Runnable[] loop = new Runnable[1];
      loop[0] = () -> {
        if (System.nanoTime() >= deadline) {
          if (running.decrementAndGet() == 0) done.tryComplete();
          return;
        }
        Attachment a = all.get(Math.floorMod(next.getAndIncrement(), all.size()));
        AtomicLong got = new AtomicLong();
        client.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(a.url()).setTimeout(30_000)
                .putHeader("Authorization", "Bearer " + Stack.MEDIA_TOKEN))
            .compose(req -> req.send().compose(resp -> {
              resp.handler(b -> got.addAndGet(b.length()));
              return resp.end().map(v -> resp.statusCode());
            }))
            .onComplete(ar -> {
              if (ar.succeeded() && ar.result() == 200 && got.get() == a.size()) {
                files.incrementAndGet();
                bytes.addAndGet(got.get());
              } else {
                errors.incrementAndGet();
              }
              lastEnd.set(System.nanoTime());
              loop[0].run();
            });
      };
      // one context per loop, spread over the client's event loops
      for (int i = 0; i < c; i++) {
        Context ctx = own.getOrCreateContext();
        ctx.runOnContext(v -> loop[0].run());
      }
      done.future().await();
      return new Trial(when, c, files.get(), bytes.get(), (lastEnd.get() - t0) / 1e9, errors.get());
    } finally {
      client.close().await();
    }
  }

  /** t threads, each writing the next file the service's way; its files are emptied after the trial and removed when the invocation ends (Scratch). */
  private Trial diskTrial(int threads, long trialMs) throws Exception {
    Path root = Files.createDirectories(scratchRoot.resolve("disk-ceiling-" + threads + "-" + UUID.randomUUID()));
    Path partDir = Files.createDirectories(root.resolve("tmp").resolve(UUID.randomUUID().toString()));
    byte[] pattern = new byte[64 * 1024];
    new Random(7).nextBytes(pattern);
    AtomicInteger next = new AtomicInteger();
    AtomicLong files = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong lastEnd = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long t0 = System.nanoTime();
      long deadline = t0 + trialMs * 1_000_000L;
      List<Future<?>> workers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        workers.add(pool.submit(() -> {
          ByteBuffer chunk = ByteBuffer.wrap(pattern);
          while (System.nanoTime() < deadline) {
            Attachment a = all.get(Math.floorMod(next.getAndIncrement(), all.size()));
            try {
              writeOne(root, partDir, chunk, a.size());
              files.incrementAndGet();
              bytes.addAndGet(a.size());
            } catch (IOException e) {
              errors.incrementAndGet();
            }
            lastEnd.set(System.nanoTime());
          }
          return null;
        }));
      }
      for (Future<?> w : workers) w.get();
      return new Trial("before", threads, files.get(), bytes.get(), (lastEnd.get() - t0) / 1e9, errors.get());
    } finally {
      pool.shutdownNow();
      scratch.done(root);
    }
  }

  private static void writeOne(Path root, Path partDir, ByteBuffer chunk, long size) throws IOException {
    Path part = partDir.resolve(UUID.randomUUID() + ".part");
    try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long left = size;
      while (left > 0) {
        int n = (int) Math.min(chunk.capacity(), left);
        chunk.clear().limit(n);
        while (chunk.hasRemaining()) ch.write(chunk);
        left -= n;
      }
      ch.force(false);
    }
    byte[] name = new byte[32];
    ThreadLocalRandom.current().nextBytes(name);
    String hex = HexFormat.of().formatHex(name);
    Path target = root.resolve(hex.substring(0, 2)).resolve(hex.substring(2, 4)).resolve(hex);
    Files.createDirectories(target.getParent());
    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
  }
}
