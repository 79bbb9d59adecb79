package dev.helpdesk.loadtests.sim;

import static dev.helpdesk.loadtests.sim.Replies.answer;
import static dev.helpdesk.loadtests.sim.Replies.error;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /media/{attachmentId}?size=&ct=} (CONTRACT §2.3): {@code size} bytes of
 * {@link MediaContent} with Content-Type {@code ct}; ids containing "-gone404-", "-gone410-" or
 * "-err500-" answer that status; {@link Faults} can override the status or redirect.
 */
final class MediaRoute implements Handler<RoutingContext> {
  private static final int CHUNK = 64 * 1024;
  private static final long DEFAULT_SIZE = 1024;

  private final Vertx vertx;
  private final String token;
  private final Faults faults;
  private final Stats stats;

  MediaRoute(Vertx vertx, String token, Faults faults, Stats stats) {
    this.vertx = vertx;
    this.token = token;
    this.faults = faults;
    this.stats = stats;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Replies.arrived(stats, Stats.MEDIA, ctx);
    long latency = faults.mediaLatencyMs();
    Future<Void> delay = latency <= 0 ? Future.succeededFuture() : vertx.timer(latency);
    delay.onComplete(v -> answerMedia(ctx));
  }

  private void answerMedia(RoutingContext ctx) {
    if (!Replies.hasBearer(ctx.request(), token)) {
      answer(stats, ctx, Stats.MEDIA, 401, error("unauthorized", "missing or wrong bearer token"));
      return;
    }
    String id = ctx.pathParam("attachmentId");
    String location = faults.mediaRedirectFor(id);
    if (location != null) {
      stats.answered(Stats.MEDIA, 302);
      ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, location).end();
      return;
    }
    Integer override = faults.mediaStatusFor(id);
    int status = override != null ? override : statusFromId(id);
    if (status != 200) {
      answer(stats, ctx, Stats.MEDIA, status, error("media_" + status, "simulated media answer"));
      return;
    }
    long size;
    try {
      String s = ctx.queryParams().get("size");
      size = s == null ? DEFAULT_SIZE : Long.parseLong(s);
      if (size < 0) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      answer(stats, ctx, Stats.MEDIA, 400, error("bad_request", "size must be a non-negative integer"));
      return;
    }
    String ct = ctx.queryParams().get("ct");
    stats.answered(Stats.MEDIA, 200);
    HttpServerResponse resp = ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, ct == null || ct.isBlank() ? "application/octet-stream" : ct)
        .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(size));
    stream(resp, MediaContent.seedOf(id), 0, size);
  }

  static int statusFromId(String attachmentId) {
    if (attachmentId.contains("-gone404-")) return 404;
    if (attachmentId.contains("-gone410-")) return 410;
    if (attachmentId.contains("-err500-")) return 500;
    return 200;
  }

  /** Chunk by chunk, pausing while the write queue is full, so a large file never sits in memory. */
  private static void stream(HttpServerResponse resp, long seed, long from, long size) {
    long pos = from;
    while (pos < size) {
      if (resp.closed()) return;
      int n = (int) Math.min(CHUNK, size - pos);
      byte[] chunk = new byte[n];
      MediaContent.fill(seed, pos, chunk, n);
      resp.write(Buffer.buffer(chunk));
      pos += n;
      if (resp.writeQueueFull()) {
        long next = pos;
        resp.drainHandler(v -> stream(resp, seed, next, size));
        return;
      }
    }
    resp.end();
  }
}
