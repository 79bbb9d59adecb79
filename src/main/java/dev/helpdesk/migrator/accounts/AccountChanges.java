package dev.helpdesk.migrator.accounts;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Changes of accounts as every instance sees them, whichever instance wrote them: V4's trigger bumps
 * {@code change_seq} and NOTIFYs the account id on {@value #CHANNEL}; this class LISTENs on one
 * connection of its own and re-reads a watched account, handing its watchers the account as
 * {@code GET /v1/accounts/{id}} shows it with its version.
 * <p>
 * Bursts coalesce here: at most one read per account is in flight, and notifications that arrive
 * meanwhile cause one more read after it, never one each. Notifications are lost while the
 * connection is down: after each (re)subscription every watched account is re-read, and every
 * {@code resyncMs} one query compares the watched versions with the table's.
 * <p>
 * State is confined to the context that created the instance; notifications are moved onto it.
 */
public final class AccountChanges {
  private static final Logger log = LoggerFactory.getLogger(AccountChanges.class);
  static final String CHANNEL = "account_changes";
  private static final String READ = "select " + AccountSql.COLUMNS + ", change_seq from accounts where account_id = $1";
  private static final String VERSIONS = "select account_id, change_seq from accounts where account_id = any($1)";
  private static final long MAX_BACKOFF_MS = 5000;

  /** The account as GET /v1/accounts/{id} answers it, and its version (monotonic per account). */
  public record Change(String accountId, long version, JsonObject account) {}

  /** A watcher's registration; {@link #cancel} it when its stream ends. */
  public interface Watch {
    void cancel();
  }

  private final Vertx vertx;
  private final Context context;
  private final Settings.Pg pg;
  private final Pool pool;
  private final long resyncMs;
  private final Map<String, Watched> watched = new HashMap<>();
  private PgSubscriber subscriber;
  private long resyncTimer = -1;
  private long retryTimer = -1;
  private int failedConnects;
  private boolean closed;

  private static final class Watched {
    final Set<Consumer<Change>> listeners = new LinkedHashSet<>();
    long version = -1;
    boolean reading;
    boolean again;
  }

  public AccountChanges(Vertx vertx, Settings.Pg pg, long resyncMs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.pg = pg;
    this.pool = Database.pool(vertx, pg);
    this.resyncMs = resyncMs;
  }

  /** Starts listening; never fails: without the listener the periodic re-read still carries changes. */
  public void start() {
    resyncTimer = vertx.setPeriodic(resyncMs, t -> resync());
    listen();
  }

  private void listen() {
    if (closed) return;
    PgSubscriber s = PgSubscriber.subscriber(vertx, PgConnectOptions.fromUri(pg.uri()).setReconnectAttempts(0));
    // once connected, a lost connection is re-established by the subscriber itself, backing off
    s.reconnectPolicy(attempt -> backoffMs(attempt));
    s.channel(CHANNEL)
        .handler(payload -> onContext(() -> notified(payload)))
        // also called after every reconnection: whatever changed while nobody listened is re-read
        .subscribeHandler(v -> onContext(() -> {
          failedConnects = 0;
          log.debug("listening on {}", CHANNEL);
          refreshAll();
        }));
    subscriber = s;
    s.connect().onFailure(t -> onContext(() -> {
      // connect() does not retry a first connection that fails: start over with a new subscriber
      s.close();
      if (closed) return;
      long delay = backoffMs(failedConnects++);
      log.warn("cannot listen for account changes ({}), retrying in {} ms", t.toString(), delay);
      retryTimer = vertx.setTimer(delay, x -> listen());
    }));
  }

  static long backoffMs(int attempt) {
    return Math.min(MAX_BACKOFF_MS, 100L << Math.min(attempt, 6));
  }

  private void onContext(Runnable r) {
    if (Vertx.currentContext() == context) r.run();
    else context.runOnContext(v -> r.run());
  }

  /**
   * Registers {@code listener} for the account's changes from now on. It is called only with versions
   * newer than the last one this instance delivered for the account; the caller reads the current
   * state itself ({@link #read}) and orders by version.
   */
  public Watch watch(String accountId, Consumer<Change> listener) {
    Watched w = watched.computeIfAbsent(accountId, id -> new Watched());
    w.listeners.add(listener);
    return () -> {
      w.listeners.remove(listener);
      if (w.listeners.isEmpty()) watched.remove(accountId, w);
    };
  }

  /** The account now, or a failed future with {@link Bus#notFound} / {@link Bus#unavailable}. */
  public Future<Change> read(String accountId) {
    return pool.preparedQuery(READ).execute(Tuple.of(accountId))
        .timeout(pg.queryTimeoutMs(), TimeUnit.MILLISECONDS)
        .recover(t -> Future.failedFuture(Bus.unavailable("database unavailable")))
        .compose(rows -> {
          if (rows.size() == 0) return Future.failedFuture(Bus.notFound("account not found"));
          Row row = rows.iterator().next();
          return Future.succeededFuture(new Change(accountId, row.getLong("change_seq"), AccountStore.toJson(row)));
        });
  }

  private void notified(String accountId) {
    if (accountId == null || accountId.isEmpty()) {
      refreshAll();
      return;
    }
    Watched w = watched.get(accountId);
    if (w != null) refresh(accountId, w);
  }

  private void refreshAll() {
    for (var e : new ArrayList<>(watched.entrySet())) refresh(e.getKey(), e.getValue());
  }

  private void refresh(String accountId, Watched w) {
    if (w.reading) {
      w.again = true;
      return;
    }
    w.reading = true;
    read(accountId).onComplete(ar -> {
      w.reading = false;
      if (ar.succeeded()) deliver(w, ar.result());
      // a failed read is left to the periodic re-read; a notification during the read means one more
      if (w.again && watched.get(accountId) == w) {
        w.again = false;
        refresh(accountId, w);
      }
    });
  }

  private void deliver(Watched w, Change change) {
    if (change.version() <= w.version) return;
    w.version = change.version();
    for (Consumer<Change> l : new ArrayList<>(w.listeners)) {
      try {
        l.accept(change);
      } catch (RuntimeException e) {
        log.warn("account change listener failed", e);
      }
    }
  }

  /** One query for every watched account: those whose version moved without a notification are re-read. */
  private void resync() {
    if (watched.isEmpty()) return;
    List<String> ids = new ArrayList<>(watched.keySet());
    pool.preparedQuery(VERSIONS).execute(Tuple.of(ids.toArray(String[]::new)))
        .timeout(pg.queryTimeoutMs(), TimeUnit.MILLISECONDS)
        .onSuccess(rows -> {
          for (Row row : rows) {
            String id = row.getString("account_id");
            Watched w = watched.get(id);
            if (w != null && row.getLong("change_seq") > w.version) refresh(id, w);
          }
        })
        .onFailure(t -> log.debug("re-reading watched account versions failed: {}", t.toString()));
  }

  public Future<Void> close() {
    closed = true;
    if (resyncTimer >= 0) vertx.cancelTimer(resyncTimer);
    if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
    watched.clear();
    return subscriber == null ? Future.succeededFuture() : subscriber.close();
  }
}
