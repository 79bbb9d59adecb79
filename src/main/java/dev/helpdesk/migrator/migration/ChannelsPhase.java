package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.accounts.AccountTransitions;
import dev.helpdesk.migrator.accounts.MigrationStatus;
import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.ops.JobLog;
import dev.helpdesk.migrator.bus.Bus.Failure;
import dev.helpdesk.migrator.sink.ChannelSink;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Phase 1: brands and channels through Conversations' API, then {@code channels_only} so the
 * app can open its inbox. The upsert, the status and the checkpoint commit together.
 */
final class ChannelsPhase implements Phase {
  private static final Logger log = LoggerFactory.getLogger(ChannelsPhase.class);
  static final String NAME = "channels";
  /** Rounds of the client's own retry schedule before an outage fails the run (a later start resumes it). */
  private static final int OUTAGE_ROUNDS = 6;
  private static final long ROUND_PAUSE_MS = 5_000;

  private final Vertx vertx;
  private final Pool pool;
  private final String nextPhase;
  private final long busTimeoutMs;

  ChannelsPhase(Vertx vertx, Pool pool, String nextPhase, long busTimeoutMs) {
    this.vertx = vertx;
    this.pool = pool;
    this.nextPhase = nextPhase;
    this.busTimeoutMs = busTimeoutMs;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<Job> run(Job job) {
    // both asked at once: the app's inbox waits for this phase, and each answer is a round trip to Conversations
    Future<Integer> threadsTotal = threadsTotal(job.accountId());
    return fetchChannels(job.accountId(), 1).compose(answer -> threadsTotal.compose(total ->
        pool.withTransaction(tx -> {
              // the four writes go out together (pipelined): one round trip instead of four while the app
              // waits; any that fails or finds the account gone rolls all of them back
              Future<ChannelSink.Result> written = ChannelSink.upsert(tx, job.accountId(), answer.getJsonArray("brands"));
              Future<Boolean> moved = AccountTransitions.advance(tx, job.accountId(), MigrationStatus.MIGRATING,
                  MigrationStatus.CHANNELS_ONLY, ProgressTracker.afterChannels(job, total));
              Future<Void> checkpointed = JobStore.checkpoint(tx, job, nextPhase, handOver(total));
              return Future.all(written, moved, checkpointed).compose(all -> {
                if (!moved.result()) return Future.failedFuture(new JobStore.AccountLeft(job.accountId()));
                List<String> skipped = written.result().skipped();
                if (!skipped.isEmpty()) {
                  JobLog.of(log.atWarn(), job.accountId(), job.jobId(), NAME).log("account {}: {} brand/channel entries without ids were not stored: {}",
                      job.accountId(), skipped.size(), skipped);
                }
                return Future.<Void>succeededFuture();
              });
            })
            .map(v -> job.at(nextPhase, handOver(total)))));
  }

  /**
   * The phase's writes, {@code rounds} times, for accounts that exist only inside transactions that are
   * rolled back: nothing is committed and nobody is notified (NOTIFY is transactional). Never fails.
   */
  static Future<Void> warmUp(Pool pool, int rounds) {
    JsonArray brands = new JsonArray().add(new JsonObject().put("brandId", "b-1").put("name", "Warm-up").put("domain", "warm-up.invalid")
        .put("channels", new JsonArray()
            .add(new JsonObject().put("channelId", "c-1").put("type", "webchat").put("name", "Chat").putNull("address"))
            .add(new JsonObject().put("channelId", "c-2").put("type", "email").put("name", "Mail").put("address", "a@warm-up.invalid"))));
    String prefix = "warm-up-" + UUID.randomUUID() + "-";
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < rounds; i++) {
      String account = prefix + i;
      chain = chain.compose(v -> pool.withTransaction(tx -> AccountTransitions.insertMigrating(tx, account, "warm-up")
              .compose(inserted -> Future.all(ChannelSink.upsert(tx, account, brands),
                  AccountTransitions.advance(tx, account, MigrationStatus.MIGRATING, MigrationStatus.CHANNELS_ONLY,
                      new JsonObject().put("phase", "channels")),
                  AccountTransitions.threadCount(tx, account)))
              .compose(written -> Future.<Void>failedFuture(ROLLED_BACK)))
          .recover(t -> t == ROLLED_BACK ? Future.succeededFuture() : Future.failedFuture(t)));
    }
    return chain.recover(t -> {
      log.warn("channels warm-up stopped: {}", t.toString());
      return Future.succeededFuture();
    });
  }

  private static final RuntimeException ROLLED_BACK = new RuntimeException("warm-up: rolled back", null, false, false) {};

  /** Conversations' thread count rides along in the checkpoint, for the later phases' progress. */
  private static JsonObject handOver(Integer threadsTotal) {
    return new JsonObject().put("threadsTotal", threadsTotal);
  }

  private Future<JsonObject> fetchChannels(String accountId, int round) {
    return Bus.request(vertx, Bus.CONVERSATIONS_CHANNELS, new JsonObject().put("accountId", accountId), busTimeoutMs)
        .recover(t -> {
          Failure failure = Failure.of(t);
          if (failure == Failure.NOT_FOUND) {
            return Future.failedFuture(new RunFailure("conversations_unknown_account: Conversations answered 404 for its channels"));
          }
          if (round >= OUTAGE_ROUNDS) {
            return Future.failedFuture(new RunFailure("conversations_unavailable: channels could not be fetched"));
          }
          Promise<JsonObject> later = Promise.promise();
          vertx.setTimer(ROUND_PAUSE_MS * round, id -> fetchChannels(accountId, round + 1).onComplete(later));
          return later.future();
        });
  }

  /** Conversations' own thread count; when the run was started without a check, ask once (best effort). */
  private Future<Integer> threadsTotal(String accountId) {
    return AccountTransitions.threadCount(pool, accountId).compose(known -> known != null
        ? Future.succeededFuture(known)
        : Bus.request(vertx, Bus.CONVERSATIONS_CHECK, new JsonObject().put("accountId", accountId), busTimeoutMs)
            .map(c -> c.getInteger("threadCount"))
            .otherwise((Integer) null));
  }
}
