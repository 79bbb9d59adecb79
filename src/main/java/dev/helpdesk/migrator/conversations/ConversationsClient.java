package dev.helpdesk.migrator.conversations;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.core.http.PoolOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Conversations' API (CONTRACT §2.1, §2.2) behind one circuit breaker. The breaker never
 * retries by itself (its retries have no delay); this class retries transient failures with
 * back-off. A 404 is an answer, so it is returned as a value and never counts against the breaker.
 */
public final class ConversationsClient {
  private static final Logger log = LoggerFactory.getLogger(ConversationsClient.class);

  /** Marks a failure that another attempt will not fix (4xx other than 404, bad body). */
  static final class PermanentFailure extends RuntimeException {
    PermanentFailure(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final Settings.Conversations settings;
  private final WebClient client;
  private final CircuitBreaker breaker;
  private final Backoff backoff;

  private static final int CONNECTIONS = 32;

  public ConversationsClient(Vertx vertx, Settings.Conversations settings) {
    this.vertx = vertx;
    this.settings = settings;
    var uri = settings.baseUrl();
    boolean tls = "https".equals(uri.getScheme());
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost(uri.getHost())
        .setDefaultPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80)
        .setSsl(tls)
        .setFollowRedirects(false)
        .setConnectTimeout((int) settings.timeoutMs())
        .setUserAgent("migrator"),
        // Vert.x's default of five connections queued a burst of starts (20 accounts at once) behind
        // each other, and the queueing counted against each call's time-out
        new PoolOptions().setHttp1MaxSize(CONNECTIONS));
    this.breaker = CircuitBreaker.create("conversations", vertx, new CircuitBreakerOptions()
            .setMaxFailures(settings.breakerMaxFailures())
            .setTimeout(settings.timeoutMs())
            .setResetTimeout(settings.breakerResetMs())
            .setMaxRetries(0))
        .openHandler(v -> log.warn("conversations circuit breaker OPEN: calls fail fast for {} ms", settings.breakerResetMs()))
        .halfOpenHandler(v -> log.info("conversations circuit breaker HALF_OPEN: letting one probe through"))
        .closeHandler(v -> log.info("conversations circuit breaker CLOSED"));
    this.backoff = new Backoff(settings.backoffBaseMs(), settings.backoffMaxMs());
  }

  public String breakerState() {
    return breaker.state().name();
  }

  /** {exists: true, threadCount} or {exists: false}; fails UNAVAILABLE when Conversations cannot answer in budget. */
  public Future<JsonObject> check(String accountId, long budgetMs) {
    String path = basePath() + "/v1/accounts/" + encode(accountId) + "/migration-check";
    return withRetries(() -> get(path), budgetMs).map(body -> body == null
        ? new JsonObject().put("exists", false)
        : new JsonObject().put("exists", body.getBoolean("exists", true)).put("threadCount", intOrNull(body, "threadCount")));
  }

  /** The brands and channels to migrate; fails NOT_FOUND on a 404, UNAVAILABLE when Conversations cannot answer. */
  public Future<JsonObject> channels(String accountId, long budgetMs) {
    String path = basePath() + "/v1/accounts/" + encode(accountId) + "/channels-to-migrate";
    return withRetries(() -> get(path), budgetMs).compose(body -> {
      if (body == null) return Future.failedFuture(Bus.notFound("Conversations does not know this account"));
      if (body.getJsonArray("brands") == null) {
        return Future.failedFuture(Bus.unavailable("Conversations answered channels without a brands array"));
      }
      return Future.succeededFuture(body);
    });
  }

  public Future<Void> close() {
    breaker.close();
    client.close();
    return Future.succeededFuture();
  }

  /** One call through the breaker: the body on 200, null on 404, a failure otherwise. */
  private Future<JsonObject> get(String path) {
    return breaker.execute(() -> client.get(path)
        .putHeader("Authorization", "Bearer " + settings.token())
        .putHeader("Accept", "application/json")
        .timeout(settings.timeoutMs())
        .send()
        .compose(ConversationsClient::interpret));
  }

  private static Future<JsonObject> interpret(HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status == 404) return Future.succeededFuture(null);
    if (status == 200) {
      try {
        return Future.succeededFuture(response.bodyAsJsonObject());
      } catch (RuntimeException e) {
        return Future.failedFuture(new PermanentFailure("Conversations answered 200 with a body that is not JSON"));
      }
    }
    if (status >= 500 || status == 429) return Future.failedFuture(new IllegalStateException("Conversations answered " + status));
    return Future.failedFuture(new PermanentFailure("Conversations answered " + status));
  }

  private Future<JsonObject> withRetries(Supplier<Future<JsonObject>> call, long budgetMs) {
    long deadline = System.currentTimeMillis() + budgetMs;
    Promise<JsonObject> result = Promise.promise();
    attempt(call, 1, deadline, result);
    return result.future();
  }

  private void attempt(Supplier<Future<JsonObject>> call, int attempt, long deadline, Promise<JsonObject> result) {
    call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete(ar.result());
        return;
      }
      Throwable cause = ar.cause();
      long delay = backoff.delayBeforeRetry(attempt);
      boolean retryable = !(cause instanceof OpenCircuitException) && !(cause instanceof PermanentFailure);
      boolean inBudget = System.currentTimeMillis() + delay + settings.timeoutMs() <= deadline;
      if (retryable && attempt < settings.maxAttempts() && inBudget) {
        vertx.setTimer(delay, t -> attempt(call, attempt + 1, deadline, result));
      } else {
        log.debug("conversations call gave up after {} attempt(s): {}", attempt, cause.toString());
        result.fail(Bus.unavailable(cause instanceof OpenCircuitException
            ? "Conversations is unavailable (circuit open)"
            : "Conversations is unavailable: " + cause.getMessage()));
      }
    });
  }

  private String basePath() {
    String p = settings.baseUrl().getRawPath();
    return p == null || p.equals("/") ? "" : p.replaceAll("/+$", "");
  }

  private static String encode(String segment) {
    return java.net.URLEncoder.encode(segment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static Integer intOrNull(JsonObject body, String key) {
    Object v = body.getValue(key);
    return v instanceof Number n ? n.intValue() : null;
  }
}
