package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.accounts.AccountChanges;
import dev.helpdesk.migrator.accounts.AccountChanges.Change;
import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@code GET /v1/accounts/{accountId}/migration/events}: the account as {@code GET /v1/accounts/{id}}
 * shows it, as Server-Sent Events, on every change (README, "Progress stream").
 * <p>
 * A stream holds at most one event it could not write yet: a slow client's newer state replaces the
 * older one instead of queueing behind it, since every event carries the whole state. The stream ends
 * after an event whose status is terminal ({@code completed}, {@code failed}, {@code not_needed}); a
 * client reconnects only when its last event was not terminal.
 * <p>
 * Everything here runs on the API verticle's event loop.
 */
final class EventRoutes {
  static final Set<String> TERMINAL = Set.of("completed", "failed", "not_needed");
  private static final Buffer HEARTBEAT = Buffer.buffer(": heartbeat\n\n");

  private final Vertx vertx;
  private final Settings.Sse sse;
  private final AccountChanges changes;
  private final Set<Stream> streams = new LinkedHashSet<>();
  private final long heartbeatTimer;

  EventRoutes(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.sse = settings.http().sse();
    this.changes = new AccountChanges(vertx, settings.pg(), sse.resyncMs());
    changes.start();
    // one timer for every stream: a stream that wrote an event meanwhile still gets it, which is cheap
    this.heartbeatTimer = vertx.setPeriodic(sse.heartbeatMs(), t -> {
      for (Stream s : new ArrayList<>(streams)) s.heartbeat();
    });
  }

  void events(RoutingContext ctx) {
    String accountId = AccountRoutes.visibleAccount(ctx);
    if (streams.size() >= sse.maxStreams()) {
      throw ApiError.unavailable("too many open event streams on this instance; retry shortly or elsewhere");
    }
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    Stream stream = new Stream(ctx.response(), lastEventId == null ? null : lastEventId.trim());
    streams.add(stream);
    // watch before reading: a change committed after the read started reaches the listener
    stream.watch = changes.watch(accountId, stream::changed);
    ctx.response().closeHandler(v -> stream.release());
    ctx.response().exceptionHandler(t -> stream.release());
    changes.read(accountId).onComplete(ar -> {
      if (ar.failed()) {
        stream.release();
        ctx.fail(toApiError(ar.cause()));
      } else {
        stream.open(ar.result());
      }
    });
  }

  /** The store's failures as GET /v1/accounts/{id} answers them: a missing account is the same 404. */
  private static ApiError toApiError(Throwable t) {
    if (t instanceof Bus.ServiceException se) {
      return switch (se.failure) {
        case NOT_FOUND -> ApiError.notFound("account not found");
        case UNAVAILABLE -> ApiError.unavailable("a dependency of this answer is unavailable, retry shortly");
        default -> new ApiError(500, "internal", "internal error");
      };
    }
    return AccountRoutes.toApiError(t);
  }

  Future<Void> close() {
    vertx.cancelTimer(heartbeatTimer);
    // clients reconnect (with Last-Event-ID) to another instance
    for (Stream s : new ArrayList<>(streams)) s.end();
    return changes.close();
  }

  private final class Stream {
    final HttpServerResponse response;
    final String lastEventId;
    AccountChanges.Watch watch;
    boolean opened;
    boolean released;
    long sent = Long.MIN_VALUE;
    Change pending;
    boolean writing;

    Stream(HttpServerResponse response, String lastEventId) {
      this.response = response;
      this.lastEventId = lastEventId;
    }

    void open(Change current) {
      if (released) return;
      opened = true;
      response.setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          // nginx and similar would hold the events back in their buffers
          .putHeader("X-Accel-Buffering", "no")
          // a compressor would hold events back too, and they are small
          .putHeader("Content-Encoding", "identity");
      Change first = pending != null && pending.version() > current.version() ? pending : current;
      pending = null;
      if (lastEventId != null && lastEventId.equals(Long.toString(first.version()))) {
        // the client has this state already: only later changes, so no duplicate after a reconnect
        sent = first.version();
        if (TERMINAL.contains(first.account().getString("migrationStatus"))) {
          end();
        } else {
          response.writeHead();
        }
        return;
      }
      changed(first);
    }

    /** A newer state: written now, or kept (replacing an older kept one) until the client drains. */
    void changed(Change change) {
      if (released || change.version() <= sent || pending != null && change.version() <= pending.version()) return;
      pending = change;
      if (opened) flush();
    }

    private void flush() {
      if (released || pending == null || writing) return;
      Change c = pending;
      pending = null;
      sent = c.version();
      write(event(c));
      if (TERMINAL.contains(c.account().getString("migrationStatus"))) end();
    }

    void heartbeat() {
      if (opened && !released && !writing) write(HEARTBEAT);
    }

    /**
     * One write at a time, the next once the socket took the last. Vert.x 5's writeQueueFull() counts
     * queued messages, not bytes: a stalled client would have some 16 whole states queued behind the
     * socket buffers, each older than the one kept in {@code pending}.
     */
    private void write(Buffer data) {
      writing = true;
      response.write(data).onComplete(written -> {
        writing = false;
        if (written.succeeded()) flush();
        else release();
      });
    }

    void end() {
      if (!response.ended() && !response.closed()) response.end();
      release();
    }

    void release() {
      if (released) return;
      released = true;
      pending = null;
      streams.remove(this);
      if (watch != null) watch.cancel();
    }
  }

  /** The account JSON is one line (encode() escapes newlines), so one data line carries it. */
  static Buffer event(Change c) {
    return Buffer.buffer("id: " + c.version() + "\nevent: status\ndata: " + c.account().encode() + "\n\n");
  }
}
