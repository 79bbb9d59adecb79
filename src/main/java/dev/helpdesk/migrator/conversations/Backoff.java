package dev.helpdesk.migrator.conversations;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential back-off with "equal jitter": the n-th wait lies in [b/2, b], b = min(max, base·2^(n-1)),
 * and is never under 1 ms: Vert.x refuses a 0 ms timer with an exception, which had left the
 * retried call's promise unanswered (a 1 ms base drew 0 half the time, and the caller hung until
 * its event-bus time-out).
 */
public record Backoff(long baseMs, long maxMs) {
  public long delayBeforeRetry(int retry) {
    long ceiling = Math.max(1, Math.min(maxMs, baseMs << Math.min(retry - 1, 20)));
    long half = ceiling / 2;
    return Math.max(1, half + ThreadLocalRandom.current().nextLong(ceiling - half + 1));
  }
}
