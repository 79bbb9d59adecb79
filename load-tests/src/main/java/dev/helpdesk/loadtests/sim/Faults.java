package dev.helpdesk.loadtests.sim;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault knobs, settable from Java or with {@code PUT /_sim/faults} (a partial JSON object: only the
 * keys present change). latencyMs, errorRate, outage, stall, failNext and unknownAccounts act on the
 * API routes; mediaLatencyMs, mediaStatusOverride and mediaRedirectTo on the media route.
 */
public final class Faults {
  /** What the API routes do with the next request. */
  enum ApiFault { NONE, UNAVAILABLE, STALL }

  private volatile long latencyMs;
  private volatile long mediaLatencyMs;
  private volatile double errorRate;
  private volatile boolean outage;
  private volatile boolean stall;
  private final AtomicInteger failNext = new AtomicInteger();
  private final Set<String> unknownAccounts = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> mediaStatusOverride = new ConcurrentHashMap<>();
  private final Map<String, String> mediaRedirectTo = new ConcurrentHashMap<>();

  public long latencyMs() {
    return latencyMs;
  }

  public Faults latencyMs(long ms) {
    this.latencyMs = Math.max(0, ms);
    return this;
  }

  public long mediaLatencyMs() {
    return mediaLatencyMs;
  }

  public Faults mediaLatencyMs(long ms) {
    this.mediaLatencyMs = Math.max(0, ms);
    return this;
  }

  public double errorRate() {
    return errorRate;
  }

  /** Share of API requests answered 503, 0..1. */
  public Faults errorRate(double rate) {
    if (rate < 0 || rate > 1) throw new IllegalArgumentException("errorRate must be within 0..1");
    this.errorRate = rate;
    return this;
  }

  public boolean outage() {
    return outage;
  }

  /** Every API request is answered 503. */
  public Faults outage(boolean on) {
    this.outage = on;
    return this;
  }

  public boolean stall() {
    return stall;
  }

  /** API requests are accepted and never answered (until the simulator closes). */
  public Faults stall(boolean on) {
    this.stall = on;
    return this;
  }

  public int failNext() {
    return failNext.get();
  }

  /** The next n API requests are answered 503, then the routes behave normally. */
  public Faults failNext(int n) {
    failNext.set(Math.max(0, n));
    return this;
  }

  public Set<String> unknownAccounts() {
    return Set.copyOf(unknownAccounts);
  }

  /** These accounts answer 404 on the API routes whatever DynamoDB holds. */
  public Faults unknownAccounts(Set<String> ids) {
    unknownAccounts.clear();
    unknownAccounts.addAll(ids);
    return this;
  }

  public Faults addUnknownAccount(String id) {
    unknownAccounts.add(id);
    return this;
  }

  public boolean isUnknown(String accountId) {
    return unknownAccounts.contains(accountId);
  }

  public Map<String, Integer> mediaStatusOverride() {
    return Map.copyOf(mediaStatusOverride);
  }

  /** The media route answers this status for the attachment (200 serves the bytes even for a "-err500-" id). */
  public Faults mediaStatus(String attachmentId, int status) {
    mediaStatusOverride.put(attachmentId, status);
    return this;
  }

  public Integer mediaStatusFor(String attachmentId) {
    return mediaStatusOverride.get(attachmentId);
  }

  public Map<String, String> mediaRedirectTo() {
    return Map.copyOf(mediaRedirectTo);
  }

  /** The media route answers 302 with this Location for the attachment. */
  public Faults mediaRedirect(String attachmentId, String location) {
    mediaRedirectTo.put(attachmentId, location);
    return this;
  }

  public String mediaRedirectFor(String attachmentId) {
    return mediaRedirectTo.get(attachmentId);
  }

  public synchronized Faults reset() {
    latencyMs = 0;
    mediaLatencyMs = 0;
    errorRate = 0;
    outage = false;
    stall = false;
    failNext.set(0);
    unknownAccounts.clear();
    mediaStatusOverride.clear();
    mediaRedirectTo.clear();
    return this;
  }

  /** Consumes one failNext credit when the request is to fail. */
  ApiFault decideApi() {
    if (stall) return ApiFault.STALL;
    if (outage) return ApiFault.UNAVAILABLE;
    if (failNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) return ApiFault.UNAVAILABLE;
    double rate = errorRate;
    if (rate > 0 && ThreadLocalRandom.current().nextDouble() < rate) return ApiFault.UNAVAILABLE;
    return ApiFault.NONE;
  }

  public synchronized JsonObject toJson() {
    JsonObject overrides = new JsonObject();
    mediaStatusOverride.forEach(overrides::put);
    JsonObject redirects = new JsonObject();
    mediaRedirectTo.forEach(redirects::put);
    return new JsonObject()
        .put("latencyMs", latencyMs)
        .put("mediaLatencyMs", mediaLatencyMs)
        .put("errorRate", errorRate)
        .put("outage", outage)
        .put("stall", stall)
        .put("failNext", failNext.get())
        .put("unknownAccounts", new JsonArray(unknownAccounts.stream().sorted().toList()))
        .put("mediaStatusOverride", overrides)
        .put("mediaRedirectTo", redirects);
  }

  /**
   * Applies the keys present in {@code json}; maps and the account set are replaced as a whole.
   * Validates everything before changing anything.
   */
  public synchronized Faults apply(JsonObject json) {
    Long latency = json.getLong("latencyMs");
    Long mediaLatency = json.getLong("mediaLatencyMs");
    Double rate = json.getDouble("errorRate");
    Boolean out = json.getBoolean("outage");
    Boolean st = json.getBoolean("stall");
    Integer fail = json.getInteger("failNext");
    JsonArray unknown = json.getJsonArray("unknownAccounts");
    JsonObject overrides = json.getJsonObject("mediaStatusOverride");
    JsonObject redirects = json.getJsonObject("mediaRedirectTo");
    if (rate != null && (rate < 0 || rate > 1)) throw new IllegalArgumentException("errorRate must be within 0..1");
    if (overrides != null) overrides.forEach(e -> Integer.parseInt(String.valueOf(e.getValue())));

    if (latency != null) latencyMs(latency);
    if (mediaLatency != null) mediaLatencyMs(mediaLatency);
    if (rate != null) errorRate(rate);
    if (out != null) outage(out);
    if (st != null) stall(st);
    if (fail != null) failNext(fail);
    if (unknown != null) {
      unknownAccounts.clear();
      unknown.forEach(id -> unknownAccounts.add(String.valueOf(id)));
    }
    if (overrides != null) {
      mediaStatusOverride.clear();
      overrides.forEach(e -> mediaStatusOverride.put(e.getKey(), Integer.parseInt(String.valueOf(e.getValue()))));
    }
    if (redirects != null) {
      mediaRedirectTo.clear();
      redirects.forEach(e -> mediaRedirectTo.put(e.getKey(), String.valueOf(e.getValue())));
    }
    return this;
  }
}
