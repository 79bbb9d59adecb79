package dev.helpdesk.loadtests.data;

import java.nio.charset.StandardCharsets;

/** Stable 64-bit seeds from strings: String.hashCode is too narrow and collides on short ids. */
public final class Seeds {
  private Seeds() {}

  public static long of(String... parts) {
    long h = 0xcbf29ce484222325L; // FNV-1a
    for (String part : parts) {
      for (byte b : part.getBytes(StandardCharsets.UTF_8)) {
        h ^= (b & 0xff);
        h *= 0x100000001b3L;
      }
      h ^= 0xff; // separator, so ("ab","c") differs from ("a","bc")
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  public static long of(long seed, String... parts) {
    return mix(seed ^ of(parts));
  }

  /** SplitMix64 finaliser. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
