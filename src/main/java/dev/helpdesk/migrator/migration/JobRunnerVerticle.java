package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.media.BlobStore;
import dev.helpdesk.migrator.media.MediaFetcher;
import dev.helpdesk.migrator.source.DynamoSource;
import dev.helpdesk.migrator.source.ReadRateLimiter;
import dev.helpdesk.migrator.source.SourceStats;
import dev.helpdesk.migrator.ops.JobLog;
import dev.helpdesk.migrator.ops.Meters;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Claims jobs from PostgreSQL and runs them: at once when one is queued on this instance
 * (wake-up), and at every sweep for jobs queued elsewhere or whose owner died. Each lane (see
 * {@link Lane}) claims as many jobs as it has room for.
 */
public final class JobRunnerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(JobRunnerVerticle.class);

  private final Settings settings;
  private final String instanceId = "migrator-" + UUID.randomUUID();
  private final Map<Long, Job> held = new ConcurrentHashMap<>();
  private JobStore jobs;
  private MigrationRun run;
  private DynamoSource source;
  /** DYNAMODB_READ_RATE_TOTAL's share (0: unlimited), and the reads' hold while an inbox is being opened */
  private ReadRateLimiter readRate;
  private final Map<String, Runnable> startHolds = new HashMap<>();
  private MediaFetcher fetcher;
  private Lanes lanes;
  private final Promise<Void> warmed = Promise.promise();
  private boolean claiming;
  /** a wake-up came while claiming: the claim in flight may have missed its job, so claim again after it */
  private boolean claimAgain;
  /** the claim queries in flight, if any: stopping waits for them so that what they claim is handed back too */
  private Future<?> claim = Future.succeededFuture();
  private boolean stopping;
  private final Meters.Group meters = new Meters.Group();
  /** every run's message pages read ahead, for /metrics; each run's own bound is MIGRATION_READ_AHEAD_BYTES */
  private final ReadAhead.Totals readAhead = new ReadAhead.Totals();

  public JobRunnerVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    // Building the SDK client loads and initialises hundreds of classes (seconds on a busy machine):
    // never on the event loop.
    int readRateTotal = settings.dynamo().readRateTotal();
    readRate = new ReadRateLimiter(vertx, readRateTotal);
    return vertx.executeBlocking(() -> new DynamoSource(vertx, settings.dynamo(), null, readRate), false)
        .compose(this::startWith);
  }

  private Future<Void> startWith(DynamoSource dynamo) {
    source = dynamo;
    Pool pool = Database.jobsPool(vertx, settings.pg());
    Settings.Migration m = settings.migration();
    jobs = new JobStore(pool, instanceId, m.leaseTtlMs());
    long busTimeout = settings.conversations().maxAttempts()
        * (settings.conversations().timeoutMs() + settings.conversations().backoffMaxMs()) + 1000;
    Context context = vertx.getOrCreateContext();
    // One source and one fetcher per verticle: their clients cap DynamoDB and media requests for all accounts.
    BlobStore blobs = new BlobStore(vertx, m.attachmentsDir());
    fetcher = new MediaFetcher(vertx, settings.media(), blobs);
    lanes = new Lanes(m.accountsParallel());
    run = new MigrationRun(pool, List.of(
        new ChannelsPhase(vertx, pool, "recent", busTimeout),
        new ThreadPhase(ThreadPhase.Kind.RECENT, pool, source, m, "older", readAhead),
        new ThreadPhase(ThreadPhase.Kind.OLDER, pool, source, m, "catch_up", readAhead),
        new ThreadPhase(ThreadPhase.Kind.CATCH_UP, pool, source, m, AttachmentsPhase.NAME, readAhead),
        new AttachmentsPhase(vertx, pool, fetcher, settings, ReconcilePhase.NAME),
        new ReconcilePhase(pool, m)), lanes, warmed.future(), this::claimMore, readRate, m.inboxHoldMs());
    DeadLetterRetry retry = new DeadLetterRetry(vertx, pool, source, fetcher, context);
    registerMeters();
    // health (api.HealthRoutes): the media breaker and a one-item DynamoDB probe
    vertx.eventBus().<JsonObject>consumer(Bus.JOBS_HEALTH, msg -> source.probe(vertx)
        .map(v -> new JsonObject().put("dynamodb", "UP"))
        .otherwise(t -> new JsonObject().put("dynamodb", "DOWN").put("dynamodbError", t.getClass().getSimpleName()))
        .onComplete(ar -> msg.reply(ar.result().put("media", fetcher.breakerState()).put("jobsHeld", held.size()))));
    return blobs.init().compose(v -> blobs.cleanPartials()).compose(v -> retry.register()).onSuccess(v -> {
      vertx.eventBus().consumer(Bus.JOBS_WAKEUP, msg -> claimMore());
      vertx.eventBus().<JsonObject>localConsumer(Bus.JOBS_READS_HOLD, msg -> foreground(msg.body()));
      vertx.eventBus().<JsonObject>localConsumer(Bus.JOBS_WARM_UP,
          msg -> ChannelsPhase.warmUp(pool, msg.body().getInteger("rounds")).onComplete(ar -> msg.reply(new JsonObject())));
      vertx.setPeriodic(m.sweepMs(), t -> claimMore());
      vertx.setPeriodic(m.heartbeatMs(), t -> heartbeat());
      log.info("job runner {} started", instanceId);
      heartbeat(); // registers this instance at once, so the others' read shares shrink now
      // no job reads before the SDK's one-time initialisation has happened off the event loop (see
      // MigrationRun); channels read nothing from DynamoDB, so claiming need not wait for it
      source.warmUp(vertx).onComplete(ar -> warmed.complete());
      claimMore();
    });
  }


  /** A start request's hold on the reads (Bus.JOBS_READS_HOLD), released by its answer or by the bound. */
  private void foreground(JsonObject m) {
    String token = m.getString("token");
    if (!m.getBoolean("hold", false)) {
      Runnable release = startHolds.remove(token);
      if (release != null) release.run();
      return;
    }
    long bound = settings.migration().inboxHoldMs();
    startHolds.put(token, readRate.hold(bound));
    // the hold itself ends at the bound; the entry goes too, should the answer's message never come
    vertx.setTimer(Math.max(1, bound), t -> startHolds.remove(token));
  }

  private void registerMeters() {
    SourceStats s = source.stats();
    String d = "DynamoDB ";
    meters.counter("migrator_dynamodb_requests", d + "HTTP attempts sent, retries included", Tags.empty(), s, x -> x.requests().sum())
        .counter("migrator_dynamodb_throttled", d + "attempts answered with a throttling error", Tags.empty(), s, x -> x.throttled().sum())
        .counter("migrator_dynamodb_unanswered", d + "attempts that ended without an answer (timed out, or the connection broke)",
            Tags.empty(), s, x -> x.unanswered().sum())
        .counter("migrator_dynamodb_failed_calls", d + "queries failed after all their attempts", Tags.empty(), s, x -> x.failedCalls().sum())
        .counter("migrator_dynamodb_pages", d + "result pages read", Tags.empty(), s, x -> x.pages().sum())
        .counter("migrator_dynamodb_items", d + "items read", Tags.empty(), s, x -> x.items().sum())
        .gauge("migrator_read_ahead_bytes", "message bytes read ahead by this instance's runs (estimated, in flight included)",
            Tags.empty(), readAhead, ReadAhead.Totals::now)
        .gauge("migrator_read_ahead_peak_bytes", "the most migrator_read_ahead_bytes has been since the instance started",
            Tags.empty(), readAhead, ReadAhead.Totals::peak)
        .gauge("migrator_jobs_held", "jobs this instance holds a lease on", Tags.empty(), held, Map::size)
        .breaker("media", fetcher::breakerState);
  }

  private void claimMore() {
    if (stopping) return;
    if (claiming) {
      claimAgain = true;
      return;
    }
    List<Future<Void>> claims = new ArrayList<>();
    for (Lane lane : Lane.values()) {
      int room = lanes.take(lane, lanes.free(lane));
      if (room > 0) claims.add(claim(lane, room));
    }
    if (claims.isEmpty()) return;
    claiming = true;
    claimAgain = false;
    claim = Future.join(claims).onComplete(ar -> {
      claiming = false;
      if (claimAgain) claimMore();
    });
  }

  /** Claims up to {@code room} jobs for the lane, whose places are already taken: unused ones are given back. */
  private Future<Void> claim(Lane lane, int room) {
    long recentWaits = lanes.recentWaits();
    return jobs.claim(lane.phases, room).onComplete(ar -> {
      List<Job> claimed = ar.succeeded() ? ar.result() : List.of();
      if (ar.failed()) log.warn("claiming jobs failed: {}", ar.cause().toString());
      lanes.give(lane, room - claimed.size());
      if (lane == Lane.RECENT) {
        boolean gated = lanes.recentBacklog();
        lanes.recentClaimed(room, claimed.size(), recentWaits);
        // the older and media lanes were held for the recent one: claim for them now, not at the next sweep
        if (gated && !lanes.recentBacklog()) claimAgain = true;
      }
      for (Job job : claimed) {
        held.put(job.jobId(), job);
        if (stopping) continue; // claimed while stopping: stop() hands it back with the others
        run.execute(job).onComplete(done -> {
          // only this claim's entry: a job handed back may already be claimed again, by a claim whose
          // answer came first on another connection, and that claim's lease must stay renewed
          held.remove(job.jobId(), job);
          claimMore();
        });
      }
    }).mapEmpty();
  }

  private void heartbeat() {
    List<Long> ids = new ArrayList<>(held.keySet());
    jobs.renew(ids).onSuccess(stillHeld -> {
      var lost = new HashSet<>(ids);
      stillHeld.forEach(lost::remove);
      // a job that ended between listing and renewing is not lost, merely done
      lost.removeIf(id -> !held.containsKey(id));
      lost.forEach(id -> {
        Job job = held.get(id);
        JobLog.of(log.atWarn(), job == null ? null : job.accountId(), id, job == null ? null : job.phase())
            .log("job {}: lease could not be renewed; its next write will stop it", id);
      });
    }).onFailure(t -> log.warn("lease renewal failed: {}", t.toString()))
        .onComplete(ar -> shareReadRate());
  }

  /**
   * This instance's share of DYNAMODB_READ_RATE_TOTAL: the total divided among the instances seen
   * within three heartbeats (a missed heartbeat or two does not drop an instance; a dead one stops
   * counting after three, during which the others read below their share). On a failed count the
   * previous share stays.
   */
  private void shareReadRate() {
    int total = settings.dynamo().readRateTotal();
    if (total == 0 || stopping) return;
    jobs.liveInstances(3 * settings.migration().heartbeatMs()).onSuccess(live -> {
      double share = (double) total / live;
      if (share == readRate.rate()) return;
      log.info("read rate: {} of {} Query requests/s ({} live instances)", share, total, live);
      readRate.setRate(share);
    }).onFailure(t -> log.warn("counting live instances failed: {}", t.toString()));
  }

  /**
   * Hands held jobs back so another instance resumes them at once instead of after the lease TTL;
   * a batch in flight either commits before the release (its row lock orders them) or fails its
   * fence. Closing the clients then stops the runs' reads.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    meters.remove();
    return claim.otherwiseEmpty().compose(v -> {
      List<Future<Void>> releases = new ArrayList<>();
      held.values().forEach(job -> releases.add(jobs.release(job).otherwiseEmpty()));
      return Future.join(releases);
    }).eventually(() -> {
      // closing the SDK client joins its I/O threads (~2 s): never on the event loop
      Future<Void> sdk = source == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
        source.close();
        return null;
      }, false);
      return sdk.eventually(() -> fetcher == null ? Future.succeededFuture() : fetcher.close());
    });
  }
}
