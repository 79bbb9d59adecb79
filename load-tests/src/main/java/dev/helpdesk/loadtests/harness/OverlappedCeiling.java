package dev.helpdesk.loadtests.harness;

import dev.helpdesk.migrator.source.DynamoSource;
import dev.helpdesk.migrator.source.Page;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Single;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Ceiling O (see {@link Ceilings}): R's reads and S's writes at once, with nothing between them but
 * building each batch's rows, into the scratch tables S wrote.
 */
final class OverlappedCeiling {
  /** @param machine where the machine's CPU went meanwhile (dynalite's and PostgreSQL's shares are the stores' cost) */
  record Measured(Ceilings.Trial trial, MachineCpu.Usage machine) {}

  private final Vertx vertx;
  private final Stack stack;

  OverlappedCeiling(Vertx vertx, Stack stack) {
    this.vertx = vertx;
    this.stack = stack;
  }

  /**
   * Every account read as R reads it and written as S writes, at once: an account's threads are written
   * before its messages (their foreign key), and its messages' batches go out while later pages are read,
   * with at most k queries and c statements in flight.
   */
  Measured measure(Pool pool, List<String> accounts, int k, int c, int batchSize) {
    pool.query("truncate lt_scratch_messages, lt_scratch_threads").execute().await();
    pool.query("checkpoint").execute().await();
    try (DynamoSource src = Ceilings.source(vertx, stack, k)) {
      Context ctx = vertx.getOrCreateContext();
      long items = 0;
      MachineCpu.Mark machine = stack.machineCpu(ProcessHandle.current()).mark();
      double cpu0 = Ceilings.cpuNow();
      long t0 = System.nanoTime();
      for (String account : accounts) {
        List<Map<String, AttributeValue>> threads = src.allThreads(ctx, account, null)
            .concatMapIterable(Page::items).toList().blockingGet();
        Flowable.fromIterable(threads).buffer(batchSize)
            .flatMapSingle(b -> write(ctx, pool, CeilingRows.UPSERT_THREADS, CeilingRows.threadTuple(b, "")), false, c)
            .ignoreElements().blockingAwait();
        long messages = Flowable.fromIterable(threads)
            .flatMap(t -> src.messages(ctx, t.get("threadId").s(), null), false, k)
            .concatMapIterable(Page::items)
            .buffer(batchSize)
            .flatMapSingle(b -> write(ctx, pool, CeilingRows.UPSERT_MESSAGES, CeilingRows.messageTuple(b, "")).map(v -> (long) b.size()), false, c)
            .reduce(0L, Long::sum).blockingGet();
        items += threads.size() + messages;
      }
      return new Measured(new Ceilings.Trial(k, items, (System.nanoTime() - t0) / 1e9, src.stats().requests().sum(),
          Ceilings.cpuNow() - cpu0), machine.until());
    }
  }

  private static Single<Boolean> write(Context ctx, Pool pool, String sql, Tuple params) {
    return Single.create(e -> ctx.runOnContext(v -> pool.preparedQuery(sql).execute(params).onComplete(ar -> {
      if (ar.succeeded()) e.onSuccess(true);
      else e.onError(ar.cause());
    })));
  }

}
