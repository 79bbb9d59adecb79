package dev.helpdesk.loadtests.data;

import java.util.List;
import java.util.Locale;

/**
 * Shape of the data seeded per account. The constants are the named profiles; the {@code with*}
 * methods derive variants (e.g. a smaller whale for a quick run).
 *
 * @param minThreads fewest threads per account (the count is uniform in [min, max], fixed per account and seed)
 * @param maxThreads most threads per account
 * @param meanMessagesPerThread the account's message total is exactly round(threads * mean)
 * @param attachmentRatio share of messages carrying 1-2 attachments
 * @param maxAttachmentBytes attachment sizes are log-uniform between 100 bytes and this
 * @param hugeBody one message per account carries a body of about 400 KB
 * @param plantBadRecords plants the bad records of CONTRACT §1 and media failures
 */
public record Profile(String name, int minThreads, int maxThreads, double meanMessagesPerThread,
                      double attachmentRatio, int maxAttachmentBytes, boolean hugeBody, boolean plantBadRecords) {

  public static final Profile SAMPLE = new Profile("SAMPLE", 30, 30, 10.0, 0.20, 256 * 1024, true, false);
  public static final Profile TYPICAL = new Profile("TYPICAL", 300, 300, 13.34, 0.20, 1024 * 1024, false, false);
  /** 1,000,000 messages; 2 % carry attachments so a whale run stays about the database, not about bytes. */
  public static final Profile WHALE = new Profile("WHALE", 20_000, 20_000, 50.0, 0.02, 64 * 1024, false, false);
  /** Meant for about 500 accounts of 5-300 threads each. */
  public static final Profile FLEET = new Profile("FLEET", 5, 300, 8.0, 0.10, 64 * 1024, false, false);
  public static final Profile DIRTY = new Profile("DIRTY", 60, 60, 12.0, 0.20, 256 * 1024, true, true);

  public Profile {
    if (minThreads < 1 || maxThreads < minThreads) throw new IllegalArgumentException("bad thread range");
    if (meanMessagesPerThread < 1) throw new IllegalArgumentException("at least one message per thread");
    if (attachmentRatio < 0 || attachmentRatio > 1) throw new IllegalArgumentException("attachmentRatio in 0..1");
    if (maxAttachmentBytes < 100) throw new IllegalArgumentException("maxAttachmentBytes >= 100");
  }

  public static List<Profile> values() {
    return List.of(SAMPLE, TYPICAL, WHALE, FLEET, DIRTY);
  }

  public static Profile byName(String name) {
    String n = name.toUpperCase(Locale.ROOT);
    return values().stream().filter(p -> p.name.equals(n)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown profile " + name));
  }

  public Profile withThreads(int min, int max) {
    return new Profile(name, min, max, meanMessagesPerThread, attachmentRatio, maxAttachmentBytes, hugeBody, plantBadRecords);
  }

  public Profile withMeanMessagesPerThread(double mean) {
    return new Profile(name, minThreads, maxThreads, mean, attachmentRatio, maxAttachmentBytes, hugeBody, plantBadRecords);
  }

  public Profile withAttachmentRatio(double ratio) {
    return new Profile(name, minThreads, maxThreads, meanMessagesPerThread, ratio, maxAttachmentBytes, hugeBody, plantBadRecords);
  }

  public Profile withMaxAttachmentBytes(int bytes) {
    return new Profile(name, minThreads, maxThreads, meanMessagesPerThread, attachmentRatio, bytes, hugeBody, plantBadRecords);
  }
}
