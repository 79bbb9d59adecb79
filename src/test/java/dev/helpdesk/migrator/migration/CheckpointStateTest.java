package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.source.Decoded;
import dev.helpdesk.migrator.source.ThreadItem;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The checkpoint's pieces on their own: where a resumed phase restarts, and what the counts conclude. */
class CheckpointStateTest {
  private static ThreadItem thread(String id) {
    return new ThreadItem("a", id, "c", null, null, null, 1, 2, null, null, null);
  }

  @Test
  void aBatchEndingInsideAThreadRestartsThatThreadAfterItsLastWrittenMessage() {
    Position p = Position.START.after(List.of(
        new Element.ThreadStart(thread("t1")), new Element.Message("t1", "m1", null), new Element.ThreadEnd("t1"),
        new Element.BadThread("t2", new Decoded.Bad<>("thread", Map.of(), "bad")),
        new Element.ThreadStart(thread("t3")), new Element.Message("t3", "m7", null)));
    assertEquals(new Position(null, Set.of("t1", "t2"), "t3", "m7", false), p);
    // the resumed thread's start comes again: its restart point stays
    assertEquals("m7", p.after(List.of(new Element.ThreadStart(thread("t3")))).afterMessage());
    Position nextPage = p.after(List.of(new Element.ThreadEnd("t3"), new Element.PageEnd("{\"k\":1}")));
    assertEquals(new Position("{\"k\":1}", Set.of(), null, null, false), nextPage);
    assertTrue(nextPage.after(List.of(new Element.PageEnd(null))).complete());
    assertEquals(p, Position.from(new JsonObject().put("position", p.toJson())));
  }

  @Test
  void countsThatDoNotAddUpAreNamedAndTheThresholdHasBothForms() {
    Counts c = new Counts();
    for (int i = 0; i < 120; i++) c.read("message");
    for (int i = 0; i < 110; i++) c.written("message");
    for (int i = 0; i < 9; i++) c.dead("message");
    assertEquals(List.of("messages read 120 != written 110 + dead letters 9"), c.mismatches());
    assertFalse(c.reconciliation().getJsonObject("messages").getBoolean("ok"));
    assertTrue(c.reconciliation().getJsonObject("threads").getBoolean("ok"));
    assertNull(c.pastThreshold(10, 0.5));
    assertTrue(c.pastThreshold(8, 0.5).startsWith("failure_threshold: 9 dead letters"));
    assertTrue(c.pastThreshold(100, 0.05).contains("MIGRATION_MAX_FAILURE_RATIO"));
    assertEquals(c.toJson(), Counts.from(new JsonObject().put("counts", c.toJson())).toJson());
  }
}
