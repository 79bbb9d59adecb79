package dev.helpdesk.loadtests.harness;

import dev.helpdesk.migrator.Migrator;
import dev.helpdesk.migrator.config.SettingsLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The service in its own JVM for a load test: the same {@code SettingsLoader.load} (conf/config.json
 * + environment) and {@code Migrator.start} as {@code dev.helpdesk.migrator.Main}, plus a probe on
 * {@code LT_PROBE_PORT} that the harness reads: heap (used, committed, peak of the heap pools since
 * the last reset), this JVM's CPU time, and the DynamoDB counters of {@link CountingInterceptor}.
 * The probe is a second HTTP server on its own port, so it never shares the API's routes or limits.
 */
public final class ServiceProcess {
  private ServiceProcess() {}

  public static void main(String[] args) throws Exception {
    Vertx vertx = Migrator.newVertx();
    Migrator m;
    try {
      m = Migrator.start(vertx, SettingsLoader.load(vertx).await()).await();
    } catch (Exception e) {
      System.err.println("service did not start: " + e);
      e.printStackTrace();
      vertx.close();
      System.exit(2);
      return;
    }
    watchCollections();
    int probePort = Integer.parseInt(System.getenv("LT_PROBE_PORT"));
    vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/probe/reset")) {
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
      }
      req.response().putHeader("content-type", "application/json").end(probe().encode());
    }).listen(probePort, "127.0.0.1").await();
    System.out.println("load-test service ready: api port " + m.port() + ", probe port " + probePort);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      CountDownLatch closed = new CountDownLatch(1);
      vertx.close().onComplete(x -> closed.countDown());
      try {
        closed.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "shutdown"));
  }

  /** Heap in use right after the latest collection (bytes), -1 before the first: the live set plus what old regions still hold. */
  static final java.util.concurrent.atomic.AtomicLong HEAP_AFTER_GC = new java.util.concurrent.atomic.AtomicLong(-1);

  /** Heap used swings with every young collection; what survives them shows growth, if any. */
  static void watchCollections() {
    java.util.Set<String> heapPools = new java.util.HashSet<>();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) heapPools.add(p.getName());
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (!(gc instanceof javax.management.NotificationEmitter emitter)) continue;
      emitter.addNotificationListener((n, handback) -> {
        if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
        var info = com.sun.management.GarbageCollectionNotificationInfo.from((javax.management.openmbean.CompositeData) n.getUserData());
        long used = 0;
        for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
          if (heapPools.contains(e.getKey())) used += e.getValue().getUsed();
        }
        HEAP_AFTER_GC.set(used);
      }, null, null);
    }
  }

  static JsonObject probe() {
    long used = 0;
    long committed = 0;
    long peak = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() != MemoryType.HEAP) continue;
      used += p.getUsage().getUsed();
      committed += p.getUsage().getCommitted();
      peak += p.getPeakUsage().getUsed();
    }
    long cpu = -1;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      cpu = os.getProcessCpuTime();
    }
    return new JsonObject()
        .put("heapUsed", used).put("heapCommitted", committed).put("heapPeak", peak)
        .put("heapAfterGc", HEAP_AFTER_GC.get())
        .put("cpuNanos", cpu)
        .put("dynamoRequests", CountingInterceptor.REQUESTS.sum())
        .put("dynamoQueries", CountingInterceptor.QUERIES.sum())
        .put("dynamoItems", CountingInterceptor.ITEMS.sum())
        .put("dynamoFailedCalls", CountingInterceptor.FAILED.sum());
  }
}
