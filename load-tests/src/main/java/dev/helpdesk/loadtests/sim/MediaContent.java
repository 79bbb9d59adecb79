package dev.helpdesk.loadtests.sim;

import dev.helpdesk.loadtests.data.Seeds;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private MediaContent() {}

  public static long seedOf(String attachmentId) {
    return Seeds.of("media", attachmentId);
  }

  /**
   * Fills {@code dst[0, len)} with the bytes at positions {@code offset ..}. Bytes 8k..8k+7 are the
   * little-endian bytes of one mixed long, so whole blocks go in one store: the simulator serves every
   * run's attachments (2.4 GB with 20 TYPICAL accounts) from here, on the cores the service is measured on.
   */
  public static void fill(long seed, long offset, byte[] dst, int len) {
    int i = 0;
    for (; i < len && ((offset + i) & 7) != 0; i++) dst[i] = byteAt(seed, offset + i);
    for (; i + 8 <= len; i += 8) LONGS.set(dst, i, Seeds.mix(seed + ((offset + i) >>> 3) * GOLDEN));
    for (; i < len; i++) dst[i] = byteAt(seed, offset + i);
  }

  /** The definition of the content, one byte at a time. */
  public static byte byteAt(long seed, long pos) {
    return (byte) (Seeds.mix(seed + (pos >>> 3) * GOLDEN) >>> ((pos & 7) * 8));
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
