package dev.helpdesk.loadtests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.helpdesk.loadtests.sim.MediaContent;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The simulator's media bytes are the same whichever range is asked for and however it is filled. */
class MediaContentTest {

  @Test
  void fillGivesEachPositionsDefinedByteForAnyOffsetAndLength() {
    Random random = new Random(7);
    for (int trial = 0; trial < 2_000; trial++) {
      long seed = random.nextLong();
      long offset = random.nextInt(1 << 20);
      int len = trial < 64 ? trial : random.nextInt(70_000);
      byte[] filled = new byte[len];
      MediaContent.fill(seed, offset, filled, len);
      for (int i = 0; i < len; i++) {
        assertEquals(MediaContent.byteAt(seed, offset + i), filled[i], "seed " + seed + " position " + (offset + i));
      }
    }
  }

  @Test
  void contentIsUnchangedForAKnownAttachment() {
    // the SHA-256 the byte-by-byte fill of earlier builds gave: reports and seeded data stay comparable
    assertEquals("fc8379fa446a4b072cb24c8a9348185db9646542f7a1a995e30c8a409b7294e4", MediaContent.sha256Hex("att-pin-1", 100_003));
  }
}
