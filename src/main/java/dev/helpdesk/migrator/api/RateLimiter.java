package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.config.Settings;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Token buckets per caller (a mobile user by its {@code sub}, each static-token caller as one),
 * so one noisy caller is refused with 429 while everyone else keeps their latency. Limits are
 * per instance: a deployment of N instances admits up to N times as much.
 */
final class RateLimiter {
  private record Limit(double perSecond, double burst) {}

  private static final class Bucket {
    private double tokens;
    private long lastNanos;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.lastNanos = now;
    }

    /** Takes one token; answers 0, or the whole seconds until one is available. */
    synchronized long take(Limit limit, long now) {
      tokens = Math.min(limit.burst(), tokens + (now - lastNanos) / 1e9 * limit.perSecond());
      lastNanos = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - tokens) / limit.perSecond()));
    }

    synchronized boolean fullAt(Limit limit, long now) {
      return tokens + (now - lastNanos) / 1e9 * limit.perSecond() >= limit.burst();
    }
  }

  private final Map<Caller.Kind, Limit> limits;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  RateLimiter(Settings.RateLimits settings) {
    limits = Map.of(
        Caller.Kind.MOBILE, new Limit(settings.mobilePerSecond(), settings.mobileBurst()),
        Caller.Kind.CONVERSATIONS, new Limit(settings.conversationsPerSecond(), settings.conversationsBurst()),
        Caller.Kind.OPERATOR, new Limit(settings.operatorPerSecond(), settings.operatorBurst()));
  }

  /** 0 when the request may go ahead, else the Retry-After in seconds. */
  long retryAfterSeconds(Caller caller) {
    Limit limit = limits.get(caller.kind());
    long now = System.nanoTime();
    return buckets.computeIfAbsent(caller.key(), k -> new Bucket(limit.burst(), now)).take(limit, now);
  }

  /** A bucket that has refilled completely says nothing a new one would not: drop it, so idle users cost no memory. */
  void evictIdle() {
    long now = System.nanoTime();
    buckets.entrySet().removeIf(e -> e.getValue().fullAt(limits.get(kindOf(e.getKey())), now));
  }

  static long evictionPeriodMs() {
    return TimeUnit.MINUTES.toMillis(1);
  }

  private static Caller.Kind kindOf(String key) {
    return Caller.Kind.valueOf(key.substring(0, key.indexOf(':')));
  }
}
