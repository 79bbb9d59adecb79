package dev.helpdesk.migrator.accounts;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Accounts as {@code GET /v1/accounts/{id}} shows them, answered from memory while nothing changed them.
 * The app polls its account a few times a second for the whole run and most of those answers repeat the
 * last one (a queued account does not change for minutes): in the 500-account FLEET a third of the
 * service's statements were these reads.
 * <p>
 * Every change of what the GET shows NOTIFYs the account's id (V4's trigger), whichever instance, or
 * psql, made it. This class LISTENs on a connection of its own and drops the account's entry when told.
 * Entries are used only while that connection listens: it is not reconnected behind our back (the
 * subscriber's close handler runs on every loss), and every loss empties the cache and turns it off until
 * a new LISTEN is confirmed, so a notification missed while nobody listened cannot leave an old answer
 * behind. {@code ttlMs} bounds an entry's age all the same (a connection that died silently is noticed
 * late). A read that a notification overtook does not store what it read: the notification removed the
 * entry the read started from.
 * <p>
 * State is confined to the context that created the instance; notifications are moved onto it.
 */
final class AccountCache {
  private static final Logger log = LoggerFactory.getLogger(AccountCache.class);
  /** Past this many accounts the cache starts over: unknown ids (404s) must not grow it without end. */
  static final int MAX_ENTRIES = 10_000;
  private static final long MAX_BACKOFF_MS = 5000;
  /** how the listener's connection shows in pg_stat_activity */
  static final String APPLICATION_NAME = "migrator-account-cache";

  private static final class Entry {
    JsonObject account;
    long storedAtNanos;
  }

  private final Vertx vertx;
  private final Context context;
  private final PgConnectOptions connect;
  private final long ttlNanos;
  private final Map<String, Entry> entries = new HashMap<>();
  private PgSubscriber subscriber;
  private boolean listening;
  private int failedConnects;
  private long retryTimer = -1;
  private boolean closed;

  /** {@code ttlMs} 0: no cache, every read goes to PostgreSQL. */
  AccountCache(Vertx vertx, String pgUri, long ttlMs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.connect = ttlMs == 0 ? null : PgConnectOptions.fromUri(pgUri).setReconnectAttempts(0)
        .addProperty("application_name", APPLICATION_NAME);
    this.ttlNanos = ttlMs * 1_000_000L;
  }

  void start() {
    if (connect != null) listen();
  }

  /**
   * The account from memory if a fresh entry is there, else {@code load}'s answer, kept for the next
   * reads unless a notification came meanwhile. The object may be shared: callers must not change it
   * (the event bus copies what it sends).
   */
  Future<JsonObject> get(String accountId, Supplier<Future<JsonObject>> load) {
    if (!listening) return load.get();
    Entry entry = entries.get(accountId);
    if (entry != null && entry.account != null && System.nanoTime() - entry.storedAtNanos < ttlNanos) {
      return Future.succeededFuture(entry.account);
    }
    if (entry == null) {
      if (entries.size() >= MAX_ENTRIES) entries.clear();
      entry = new Entry();
      entries.put(accountId, entry);
    }
    Entry startedFrom = entry;
    return load.get().onSuccess(account -> {
      if (listening && entries.get(accountId) == startedFrom) {
        startedFrom.account = account;
        startedFrom.storedAtNanos = System.nanoTime();
      }
    });
  }

  /** This instance changed the account: its next read goes to PostgreSQL, whatever the notification's timing. */
  void invalidate(String accountId) {
    entries.remove(accountId);
  }

  private void listen() {
    if (closed) return;
    PgSubscriber s = PgSubscriber.subscriber(vertx, connect);
    s.channel(AccountChanges.CHANNEL)
        .handler(payload -> onContext(() -> notified(payload)))
        .subscribeHandler(v -> onContext(() -> {
          failedConnects = 0;
          entries.clear();
          listening = true;
        }));
    // no reconnect policy: a lost connection closes the subscriber, and this handler starts over
    s.closeHandler(v -> onContext(() -> lost(s, "connection closed")));
    subscriber = s;
    s.connect().onFailure(t -> onContext(() -> lost(s, t.toString())));
  }

  private void lost(PgSubscriber s, String why) {
    if (s != subscriber) return;
    listening = false;
    entries.clear();
    s.close();
    if (closed) return;
    long delay = Math.min(MAX_BACKOFF_MS, 100L << Math.min(failedConnects++, 6));
    log.warn("account status cache off: not listening for account changes ({}), retrying in {} ms", why, delay);
    retryTimer = vertx.setTimer(delay, t -> listen());
  }

  private void notified(String accountId) {
    // '' stands for an id too long for a payload: forget them all
    if (accountId == null || accountId.isEmpty()) entries.clear();
    else entries.remove(accountId);
  }

  private void onContext(Runnable r) {
    if (Vertx.currentContext() == context) r.run();
    else context.runOnContext(v -> r.run());
  }

  Future<Void> close() {
    closed = true;
    listening = false;
    entries.clear();
    if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
    return subscriber == null ? Future.succeededFuture() : subscriber.close();
  }
}
