package dev.helpdesk.migrator.conversations;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential back-off with "equal jitter": the n-th wait lies in [b/2, b], b = min(max, base·2^(n-1)). */
public record Backoff(long baseMs, long maxMs) {
  public long delayBeforeRetry(int retry) {
    long ceiling = Math.min(maxMs, baseMs << Math.min(retry - 1, 20));
    long half = ceiling / 2;
    return half + ThreadLocalRandom.current().nextLong(ceiling - half + 1);
  }
}
