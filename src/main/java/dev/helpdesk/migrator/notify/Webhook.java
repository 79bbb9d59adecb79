package dev.helpdesk.migrator.notify;

import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One POST of one event to the Slack-compatible webhook. The URL is a credential: it is never logged,
 * and every error text that leaves this class is passed through {@link #redact} first, because
 * Vert.x's time-out messages quote the request's path (where Slack keeps the secret).
 */
final class Webhook {
  /** How one attempt ended: delivered, worth another try, or refused for good. */
  enum Outcome { SENT, RETRY, PERMANENT }

  record Result(Outcome outcome, String error) {}

  /** Slack cuts messages far beyond this; a longer failure reason is cut here, with a marker. */
  static final int MAX_REASON_CHARS = 1000;

  private final Settings.Notify settings;
  private final WebClient client;
  private final String url;
  /** Every form in which the URL's secret part could be quoted by an error, longest first. */
  private final List<String> secretParts = new ArrayList<>();

  Webhook(Vertx vertx, Settings.Notify settings) {
    this.settings = settings;
    URI uri = settings.webhookUrl();
    this.url = uri.toString();
    for (String part : new String[] {uri.getRawPath(), uri.getPath(), uri.getRawQuery(), uri.getQuery(), uri.getRawUserInfo()}) {
      if (part != null && part.length() > 1 && !secretParts.contains(part)) secretParts.add(part);
    }
    secretParts.sort(Comparator.comparingInt(String::length).reversed());
    // A redirect would take the event (and our caller's trust) somewhere the operator did not configure.
    this.client = WebClient.create(vertx, new WebClientOptions()
        .setFollowRedirects(false)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeoutMs()))
        .setUserAgent("migrator"));
  }

  /**
   * Never fails: a time-out, a refused connection or a non-2xx answer is a {@link Result}. The whole
   * attempt is bounded by NOTIFY_TIMEOUT_MS, so a receiver that accepts and never answers holds one
   * claim for that long and nothing else.
   */
  Future<Result> post(Outbox.Event event) {
    return client.postAbs(url)
        .followRedirects(false)
        .connectTimeout(settings.timeoutMs())
        .idleTimeout(settings.timeoutMs())
        .sendJsonObject(body(event, settings.deadLetterWarn()))
        .timeout(settings.timeoutMs(), TimeUnit.MILLISECONDS)
        .map(response -> {
          int status = response.statusCode();
          if (status >= 200 && status < 300) return new Result(Outcome.SENT, null);
          String error = "webhook answered " + status;
          // 408/429/5xx are the receiver's trouble and pass; any other answer (a redirect, a revoked
          // or mistyped hook) will be the same on every try
          boolean transientStatus = status == 408 || status == 429 || status >= 500;
          return new Result(transientStatus ? Outcome.RETRY : Outcome.PERMANENT, error);
        })
        .otherwise(t -> new Result(Outcome.RETRY, describe(t)));
  }

  Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  /** Slack reads {@code text}; the other fields are for receivers that route or count. Nothing secret. */
  static JsonObject body(Outbox.Event e, int warnLevel) {
    JsonObject json = new JsonObject().put("event", e.kind()).put("accountId", e.accountId()).put("jobId", e.jobId())
        .put("occurredAt", e.createdAt() == null ? null : e.createdAt().toInstant().toString());
    if ("migration_failed".equals(e.kind())) {
      String reason = cut(e.detail().getString("failureReason"));
      json.put("failureReason", reason);
      json.put("text", ":x: Migration of account `" + slack(e.accountId()) + "` failed"
          + (reason == null ? "." : ": " + slack(reason)));
    } else {
      long count = e.detail().getLong("deadLetters", 0L);
      long level = e.detail().getLong("warnLevel", (long) warnLevel);
      json.put("deadLetters", count).put("warnLevel", level);
      json.put("text", ":warning: Account `" + slack(e.accountId()) + "` has " + count
          + " unresolved dead letters (warning level " + level + ")" + (e.jobId() == null ? "." : " in run " + e.jobId() + "."));
    }
    return json;
  }

  /** An error's text without the webhook's URL or path in it. */
  String describe(Throwable t) {
    return redact(t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
  }

  String redact(String text) {
    if (text == null) return null;
    String s = text.replace(url, "<webhook>");
    for (String part : secretParts) s = s.replace(part, "<redacted>");
    return s;
  }

  private static String cut(String s) {
    return s == null || s.length() <= MAX_REASON_CHARS ? s : s.substring(0, MAX_REASON_CHARS) + "…";
  }

  /** Slack's three control characters in message text (&, <, >) must be escaped, or a reason could ping @channel. */
  static String slack(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
