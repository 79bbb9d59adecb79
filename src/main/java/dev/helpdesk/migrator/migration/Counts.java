package dev.helpdesk.migrator.migration;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * What the run has committed, per kind: items read, rows written, dead letters. They travel in
 * the job's checkpoint, committed with the rows they count, so a resumed run neither loses nor
 * repeats a count; each item is counted the first time this run commits it.
 */
final class Counts {
  static final String[] KINDS = {"threads", "messages", "attachments"};

  private final long[] read = new long[3];
  private final long[] written = new long[3];
  private final long[] dead = new long[3];

  static int index(String kind) {
    return switch (kind) {
      case "thread", "threads" -> 0;
      case "message", "messages" -> 1;
      case "attachment", "attachments" -> 2;
      default -> throw new IllegalArgumentException(kind);
    };
  }

  static Counts from(JsonObject checkpoint) {
    Counts c = new Counts();
    JsonObject json = checkpoint == null ? null : checkpoint.getJsonObject("counts");
    if (json == null) return c;
    for (int i = 0; i < 3; i++) {
      JsonObject k = json.getJsonObject(KINDS[i], new JsonObject());
      c.read[i] = k.getLong("read", 0L);
      c.written[i] = k.getLong("written", 0L);
      c.dead[i] = k.getLong("dead", 0L);
    }
    return c;
  }

  Counts copy() {
    Counts c = new Counts();
    c.add(this);
    return c;
  }

  void add(Counts other) {
    for (int i = 0; i < 3; i++) {
      read[i] += other.read[i];
      written[i] += other.written[i];
      dead[i] += other.dead[i];
    }
  }

  void read(String kind) {
    read[index(kind)]++;
  }

  void written(String kind) {
    written[index(kind)]++;
  }

  void dead(String kind) {
    dead[index(kind)]++;
  }

  /** A dead letter of this kind whose item a retry has now written: it moves from dead to written. */
  void recovered(String kind) {
    int i = index(kind);
    written[i]++;
    dead[i]--;
  }

  /** Dead letters of this kind whose items go back to be tried again: read still, dead no more; counted again as written or dead when they end. */
  void undead(String kind, long n) {
    int i = index(kind);
    dead[i] -= n;
  }

  boolean isZero() {
    for (int i = 0; i < 3; i++) if (read[i] != 0 || written[i] != 0 || dead[i] != 0) return false;
    return true;
  }

  long written(int kind) {
    return written[kind];
  }

  long totalRead() {
    return read[0] + read[1] + read[2];
  }

  long totalDead() {
    return dead[0] + dead[1] + dead[2];
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject();
    for (int i = 0; i < 3; i++) {
      json.put(KINDS[i], new JsonObject().put("read", read[i]).put("written", written[i]).put("dead", dead[i]));
    }
    return json;
  }

  /** CONTRACT §3.4's reconciliation object. */
  JsonObject reconciliation() {
    JsonObject json = new JsonObject();
    for (int i = 0; i < 3; i++) {
      json.put(KINDS[i], new JsonObject().put("itemsRead", read[i]).put("rowsWritten", written[i])
          .put("deadLetters", dead[i]).put("ok", read[i] == written[i] + dead[i]));
    }
    return json;
  }

  /** The kinds that do not add up, described for the failure reason; empty when all do. */
  List<String> mismatches() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      if (read[i] != written[i] + dead[i]) {
        out.add(KINDS[i] + " read " + read[i] + " != written " + written[i] + " + dead letters " + dead[i]);
      }
    }
    return out;
  }

  /** Null when under the run's failure threshold, else the reason to fail it with. */
  String pastThreshold(int maxFailures, double maxRatio) {
    long d = totalDead(), r = totalRead();
    if (d > maxFailures) {
      return "failure_threshold: " + d + " dead letters, more than MIGRATION_MAX_FAILURES=" + maxFailures;
    }
    if (r >= 100 && (double) d / r > maxRatio) {
      return "failure_threshold: " + d + " dead letters of " + r + " items read, more than MIGRATION_MAX_FAILURE_RATIO="
          + maxRatio;
    }
    return null;
  }
}
