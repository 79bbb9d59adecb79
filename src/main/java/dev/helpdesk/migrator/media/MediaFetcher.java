package dev.helpdesk.migrator.media;

import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.conversations.Backoff;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Copies attachments from the media service (CONTRACT §2.3) into the {@link BlobStore}.
 * Transient failures (5xx, time-outs, connection errors) are retried here with back-off; the media
 * breaker never retries by itself and only counts the media service's own failures: a 404, a redirect
 * or an oversized body is an answer, not an outage. Redirects are never followed, so the bearer
 * token only ever goes to an allow-listed host.
 */
public final class MediaFetcher {
  private static final Logger log = LoggerFactory.getLogger(MediaFetcher.class);
  static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
  /** A body slower than this on average is cut off, so a trickling server cannot hold a slot for ever. */
  static final long MIN_BYTES_PER_SECOND = 256 * 1024;

  /** Knobs Settings.Media does not carry (yet). */
  public record Tuning(Backoff backoff, int breakerMaxFailures, long breakerResetMs) {
    public static final Tuning DEFAULTS = new Tuning(new Backoff(200, 5000), 5, 10_000);
  }

  /** What one request ended with, as seen by the breaker: a value unless the media service failed. */
  private record Outcome(Fetched fetched, MediaFailure failure) {}

  private final Vertx vertx;
  private final Settings.Media settings;
  private final BlobStore store;
  private final UrlPolicy policy;
  private final Tuning tuning;
  private final HttpClientAgent client;
  private final CircuitBreaker breaker;
  private final Limiter limiter;

  public MediaFetcher(Vertx vertx, Settings.Media settings, BlobStore store) {
    this(vertx, settings, store, Tuning.DEFAULTS);
  }

  public MediaFetcher(Vertx vertx, Settings.Media settings, BlobStore store, Tuning tuning) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.tuning = tuning;
    this.policy = new UrlPolicy(settings.allowedHosts());
    this.limiter = new Limiter(vertx, settings.concurrency());
    this.client = vertx.createHttpClient(new HttpClientOptions()
            .setKeepAlive(true)
            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeoutMs()))
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeoutMs()))
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setDecompressionSupported(false)
            .setMaxRedirects(0),
        new PoolOptions().setHttp1MaxSize(Math.max(1, settings.concurrency())));
    // The breaker's own time-out would fail the call while the download kept its slot and file;
    // time-outs are enforced per request instead, where they can abort the transfer.
    this.breaker = CircuitBreaker.create("media", vertx, new CircuitBreakerOptions()
            .setMaxFailures(tuning.breakerMaxFailures())
            .setTimeout(-1)
            .setResetTimeout(tuning.breakerResetMs())
            .setMaxRetries(0))
        .openHandler(v -> log.warn("media circuit breaker OPEN: downloads fail fast for {} ms", tuning.breakerResetMs()))
        .halfOpenHandler(v -> log.info("media circuit breaker HALF_OPEN: letting one probe through"))
        .closeHandler(v -> log.info("media circuit breaker CLOSED"));
  }

  public UrlPolicy policy() {
    return policy;
  }

  public String breakerState() {
    return breaker.state().name();
  }

  /**
   * Downloads one attachment into the blob store. Fails with a {@link MediaFailure}: permanent ones
   * (refused URL, 404/410, redirect, too large, other 4xx) after at most one request, transient
   * ones after {@code maxAttempts} requests or at an open breaker.
   */
  public Future<Fetched> fetch(String attachmentId, String url) {
    UrlPolicy.Verdict verdict = policy.check(url);
    if (!verdict.allowed()) {
      return Future.failedFuture(MediaFailure.permanent(MediaFailure.Kind.REFUSED, verdict.refusal()));
    }
    Promise<Fetched> result = Promise.promise();
    attempt(attachmentId, verdict.target(), 1, result);
    return result.future();
  }

  public Future<Void> close() {
    breaker.close();
    return client.close();
  }

  private void attempt(String attachmentId, UrlPolicy.Target target, int attempt, Promise<Fetched> result) {
    limiter.run(() -> breaker.<Outcome>execute(() -> once(target))).onComplete(ar -> {
      MediaFailure failure;
      if (ar.succeeded() && ar.result().fetched() != null) {
        result.complete(ar.result().fetched());
        return;
      } else if (ar.succeeded()) {
        failure = ar.result().failure();
      } else if (ar.cause() instanceof OpenCircuitException) {
        result.fail(new MediaFailure(MediaFailure.Kind.CIRCUIT_OPEN, false,
            "media service unavailable (circuit open)", attempt - 1));
        return;
      } else {
        failure = ar.cause() instanceof MediaFailure mf ? mf
            : MediaFailure.transientFailure(MediaFailure.Kind.TRANSIENT, "media request failed: " + describe(ar.cause()));
      }
      if (!failure.permanent() && attempt < settings.maxAttempts()) {
        long delay = tuning.backoff().delayBeforeRetry(attempt);
        log.debug("attachment {}: attempt {} failed ({}), retrying in {} ms", attachmentId, attempt, failure.reason(), delay);
        vertx.setTimer(delay, t -> attempt(attachmentId, target, attempt + 1, result));
      } else {
        result.fail(failure.withAttempts(attempt));
      }
    });
  }

  /** One GET. Fails (counting against the breaker) only when the media service itself failed. */
  private Future<Outcome> once(UrlPolicy.Target target) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setHost(target.host())
        .setPort(target.port())
        .setSsl(target.tls())
        .setURI(target.requestUri())
        .setFollowRedirects(false)
        .setConnectTimeout(settings.timeoutMs())
        .setIdleTimeout(settings.timeoutMs())
        .putHeader("Authorization", "Bearer " + settings.token())
        .putHeader("Accept", "*/*")
        .putHeader("User-Agent", "migrator");
    return client.request(options).compose(request -> request.send().compose(response -> answer(request, response)));
  }

  private Future<Outcome> answer(HttpClientRequest request, HttpClientResponse response) {
    // Nothing may be read before the body's destination exists; pause before any await.
    response.pause();
    int status = response.statusCode();
    if (status == 200) return download(request, response);
    discard(request, response);
    if (status == 404 || status == 410) return permanent(MediaFailure.Kind.GONE, "media service answered " + status + ": attachment is gone");
    if (status >= 300 && status < 400) return permanent(MediaFailure.Kind.REDIRECT, "media service answered " + status + ": redirects are not followed");
    if (status >= 500 || status == 408 || status == 429 || status == 401 || status == 403) {
      // 401/403 mean our token is wrong or revoked: every attachment would fail alike, so let the
      // breaker see it and keep the dead letters retryable once the token is fixed.
      return Future.failedFuture(MediaFailure.transientFailure(MediaFailure.Kind.TRANSIENT, "media service answered " + status));
    }
    return permanent(MediaFailure.Kind.REJECTED, "media service answered " + status);
  }

  private Future<Outcome> download(HttpClientRequest request, HttpClientResponse response) {
    String declared = response.getHeader("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > settings.maxBytes()) {
          abandon(request, response);
          return permanent(MediaFailure.Kind.TOO_LARGE, tooLarge());
        }
      } catch (NumberFormatException ignored) {
        // the streamed count is what is enforced anyway
      }
    }
    String contentType = contentType(response.getHeader("Content-Type"));
    return new Transfer(request, response, store.newWriter(settings.maxBytes()), contentType).run();
  }

  /** Streams one 200 body into a writer; completes after the blob is published or its part file removed. */
  private final class Transfer {
    private final HttpClientRequest request;
    private final HttpClientResponse response;
    private final BlobWriter writer;
    private final String contentType;
    private final Promise<Outcome> done = Promise.promise();
    private boolean finished;
    private long deadlineTimer = -1;

    Transfer(HttpClientRequest request, HttpClientResponse response, BlobWriter writer, String contentType) {
      this.request = request;
      this.response = response;
      this.writer = writer;
      this.contentType = contentType;
    }

    Future<Outcome> run() {
      long budget = settings.timeoutMs() + settings.maxBytes() * 1000 / MIN_BYTES_PER_SECOND;
      deadlineTimer = vertx.setTimer(budget, t -> fail("media download took longer than " + budget + " ms"));
      response.handler(chunk -> {
        if (!writer.write(chunk)) {
          if (!claim()) return;
          abortThen(Future.succeededFuture(new Outcome(null, MediaFailure.permanent(MediaFailure.Kind.TOO_LARGE, tooLarge()))));
        } else if (writer.writeQueueFull()) {
          response.pause();
          writer.drainHandler(v -> response.resume());
        }
      });
      response.exceptionHandler(e -> fail("media download broke off: " + describe(e)));
      response.endHandler(v -> {
        if (!claim()) return;
        writer.commit().onComplete(ar -> done.handle(ar.succeeded()
            ? Future.succeededFuture(new Outcome(new Fetched(ar.result().sha256(), ar.result().size(), contentType), null))
            : Future.succeededFuture(new Outcome(null, storage(ar.cause())))));
      });
      response.resume();
      return done.future();
    }

    /** True for the first of end, error, time-out or cap: that one decides the outcome. */
    private synchronized boolean claim() {
      if (finished) return false;
      finished = true;
      vertx.cancelTimer(deadlineTimer);
      return true;
    }

    /** A time-out or broken connection: the media service's failure, so the breaker counts it. */
    private void fail(String reason) {
      if (!claim()) return;
      abortThen(Future.failedFuture(MediaFailure.transientFailure(MediaFailure.Kind.TRANSIENT, reason)));
    }

    /** Stops the transfer, removes the part file, and only then reports, so no caller sees a leftover. */
    private void abortThen(Future<Outcome> outcome) {
      request.reset();
      writer.abort().onComplete(ignored -> done.handle(outcome));
    }
  }

  private String tooLarge() {
    return "attachment is larger than MEDIA_MAX_BYTES (" + settings.maxBytes() + " bytes)";
  }

  private static Future<Outcome> permanent(MediaFailure.Kind kind, String reason) {
    return Future.succeededFuture(new Outcome(null, MediaFailure.permanent(kind, reason)));
  }

  /** Local disk trouble is not the media service's fault: retried, but never counted by the breaker. */
  private static MediaFailure storage(Throwable e) {
    return MediaFailure.transientFailure(MediaFailure.Kind.STORAGE, "could not store the attachment: " + describe(e));
  }

  /** Lets a short error body drain so the connection can be reused; a long one closes the connection. */
  private static void discard(HttpClientRequest request, HttpClientResponse response) {
    String length = response.getHeader("Content-Length");
    boolean small = length != null && length.trim().length() < 6; // under 100 KB
    if (small) {
      response.handler(b -> {}).exceptionHandler(e -> {});
      response.resume();
    } else {
      abandon(request, response);
    }
  }

  /** Closes the exchange without reading on; the reset it causes is expected, not worth a log line. */
  private static void abandon(HttpClientRequest request, HttpClientResponse response) {
    response.exceptionHandler(e -> {});
    request.reset();
  }

  static String contentType(String header) {
    if (header == null) return DEFAULT_CONTENT_TYPE;
    String v = header.trim();
    if (v.isEmpty() || v.length() > 255 || !v.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) return DEFAULT_CONTENT_TYPE;
    return v;
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
