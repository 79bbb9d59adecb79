package dev.helpdesk.migrator.notify;

import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.conversations.Backoff;
import dev.helpdesk.migrator.ops.Meters;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Posts failure notifications (an account failed; an account's open dead letters reached
 * NOTIFY_DEAD_LETTER_WARN) to the webhook. Every NOTIFY_POLL_MS it records new dead-letter warnings,
 * then claims due events from the {@code notifications} outbox (failures are put there by a trigger
 * in the failing transaction) and posts each one; a failed post is retried with back-off by whichever
 * instance claims it next, up to NOTIFY_MAX_ATTEMPTS. It has its own two-connection pool and its own
 * HTTP client, and the migration never waits on it: a dead receiver costs this verticle time, nothing else.
 * With no NOTIFY_WEBHOOK_URL it does nothing.
 */
public final class NotifierVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(NotifierVerticle.class);

  /** Posts in flight per instance; a black-holed receiver holds at most this many claims. */
  static final int MAX_IN_FLIGHT = 8;
  static final long PURGE_EVERY_MS = 3_600_000;

  private final Settings settings;
  private final Settings.Notify notify;
  private final String owner = "notifier-" + UUID.randomUUID();
  private Pool pool;
  private Outbox outbox;
  private Webhook webhook;
  private Backoff backoff;
  private long periodic = -1;
  private long purgeTimer = -1;
  private boolean polling;
  private boolean pollAgain;
  private int inFlight;
  private boolean stopped;

  public NotifierVerticle(Settings settings) {
    this.settings = settings;
    this.notify = settings.notifications();
  }

  @Override
  public Future<?> start() {
    if (!notify.enabled()) {
      log.info("failure notifications are off (no NOTIFY_WEBHOOK_URL)");
      return Future.succeededFuture();
    }
    pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(2).setName("migrator-notify").setMaxWaitQueueSize(16)
            .setConnectionTimeout((int) settings.pg().acquireTimeoutMs()).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(PgConnectOptions.fromUri(settings.pg().uri()).setReconnectAttempts(0))
        .using(vertx).build();
    outbox = new Outbox(pool, owner, settings.pg().queryTimeoutMs());
    webhook = new Webhook(vertx, notify);
    backoff = new Backoff(notify.backoffBaseMs(), notify.backoffMaxMs());
    periodic = vertx.setPeriodic(1, notify.pollMs(), t -> poll());
    purgeTimer = vertx.setPeriodic(PURGE_EVERY_MS, t -> outbox.purge()
        .onFailure(e -> log.debug("purging old notifications failed: {}", e.toString())));
    log.info("failure notifications on as {}: {}", owner, notify);
    return Future.succeededFuture();
  }

  /**
   * One round: new dead-letter warnings, then as many due events as there is room for. Rounds never
   * overlap; a round asked for meanwhile (a retry falling due) runs right after.
   */
  private void poll() {
    if (stopped) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = true;
    pollAgain = false;
    Future<Integer> detect = notify.deadLetterWarn() > 0
        ? outbox.detectDeadLetters(notify.deadLetterWarn())
            .onFailure(t -> log.debug("looking for dead-letter warnings failed: {}", t.toString()))
        : Future.succeededFuture(0);
    detect.transform(ignored -> {
          int room = MAX_IN_FLIGHT - inFlight;
          return room <= 0 ? Future.succeededFuture(List.<Outbox.Event>of())
              // the lease outlives the post's own time-out, so the claim is still ours when it ends
              : outbox.claim(2 * notify.timeoutMs() + settings.pg().queryTimeoutMs(), room);
        })
        .onSuccess(events -> events.forEach(this::deliver))
        .onFailure(t -> log.debug("claiming notifications failed: {}", t.toString()))
        .onComplete(ar -> {
          polling = false;
          boolean full = ar.succeeded() && !ar.result().isEmpty() && inFlight >= MAX_IN_FLIGHT;
          if (pollAgain && !full) vertx.runOnContext(v -> poll());
        });
  }

  private void deliver(Outbox.Event event) {
    inFlight++;
    webhook.post(event)
        .compose(result -> record(event, result))
        .onFailure(t -> log.debug("recording notification {} failed; it is retried once its claim expires: {}",
            event.id(), webhook.redact(t.toString())))
        .onComplete(ar -> {
          inFlight--;
          if (pollAgain) poll();
        });
  }

  private Future<Boolean> record(Outbox.Event event, Webhook.Result result) {
    switch (result.outcome()) {
      case SENT -> {
        Meters.notification("sent");
        log.info("notification {} ({}, account {}) sent, attempt {}", event.id(), event.kind(), event.accountId(), event.attempt());
        return outbox.sent(event);
      }
      case RETRY -> {
        if (event.attempt() < notify.maxAttempts()) {
          Meters.notification("failed");
          long delay = backoff.delayBeforeRetry(event.attempt());
          log.info("notification {} ({}, account {}): attempt {} of {} failed ({}); next in {} ms", event.id(), event.kind(),
              event.accountId(), event.attempt(), notify.maxAttempts(), result.error(), delay);
          // a wake-up once it is due (counted from the commit, which set the due time), so the retry
          // waits its back-off and not the rest of a poll interval
          return outbox.retryLater(event, delay, result.error()).onSuccess(ours -> {
            if (ours && delay < notify.pollMs() && !stopped) vertx.setTimer(delay + 10, t -> poll());
          });
        }
        return giveUp(event, result.error());
      }
      default -> {
        return giveUp(event, result.error());
      }
    }
  }

  private Future<Boolean> giveUp(Outbox.Event event, String error) {
    Meters.notification("given_up");
    log.warn("notification {} ({}, account {}) given up after attempt {}: {}", event.id(), event.kind(),
        event.accountId(), event.attempt(), error);
    return outbox.giveUp(event, error);
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (periodic >= 0) vertx.cancelTimer(periodic);
    if (purgeTimer >= 0) vertx.cancelTimer(purgeTimer);
    // posts in flight are abandoned with the client: their claims expire and another instance (or
    // this one, restarted) posts them again
    Future<Void> client = webhook == null ? Future.succeededFuture() : webhook.close();
    return client.compose(v -> pool == null ? Future.succeededFuture() : pool.close());
  }
}
