package dev.helpdesk.loadtests.sim;

import dev.helpdesk.loadtests.data.Seeds;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bytes the media route serves: byte {@code i} of an attachment is a function of its id and
 * {@code i} alone, so any range can be produced without the rest and tests can recompute what the
 * service should have copied.
 */
public final class MediaContent {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private MediaContent() {}

  public static long seedOf(String attachmentId) {
    return Seeds.of("media", attachmentId);
  }

  /** Fills {@code dst[0, len)} with the bytes at positions {@code offset ..}. */
  public static void fill(long seed, long offset, byte[] dst, int len) {
    long block = 0;
    for (int i = 0; i < len; i++) {
      long pos = offset + i;
      if (i == 0 || (pos & 7) == 0) block = Seeds.mix(seed + (pos >>> 3) * GOLDEN);
      dst[i] = (byte) (block >>> ((pos & 7) * 8));
    }
  }

  public static byte[] bytes(String attachmentId, int size) {
    byte[] b = new byte[size];
    fill(seedOf(attachmentId), 0, b, size);
    return b;
  }

  /** SHA-256 of the whole content, computed in chunks (for sizes too big to hold). */
  public static String sha256Hex(String attachmentId, long size) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      long seed = seedOf(attachmentId);
      byte[] chunk = new byte[64 * 1024];
      for (long pos = 0; pos < size; pos += chunk.length) {
        int n = (int) Math.min(chunk.length, size - pos);
        fill(seed, pos, chunk, n);
        md.update(chunk, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
