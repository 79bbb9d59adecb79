package dev.helpdesk.migrator.media;

import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The blob store's digest is SHA-256 exactly, however a body arrives in chunks. */
class Sha256Test {

  @Test
  void digestEqualsTheJdksSha256ForEverySizeAndChunking() throws Exception {
    Random random = new Random(20261127);
    int[] sizes = {0, 1, 55, 56, 63, 64, 65, 65_535, 65_536, 65_537, 300_001, 1 << 20};
    for (int size : sizes) {
      byte[] body = new byte[size];
      random.nextBytes(body);
      String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
      MessageDigest digest = Sha256.create();
      int at = 0;
      while (at < size) {
        int n = Math.min(size - at, 1 + random.nextInt(100_000));
        digest.update(body, at, n);
        at += n;
      }
      assertEquals(expected, HexFormat.of().formatHex(digest.digest()), "body of " + size + " bytes");
    }
  }

  @Test
  void onLinuxX8664TheNativeProviderHashes() {
    String os = System.getProperty("os.name").toLowerCase();
    String arch = System.getProperty("os.arch");
    assumeTrue(os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")), "the native library is for Linux x86-64");
    assertTrue(Sha256.implementation().contains("(native)"), Sha256.implementation());
  }
}
