package dev.helpdesk.loadtests.harness;

import static dev.helpdesk.loadtests.harness.Histograms.max;
import static dev.helpdesk.loadtests.harness.Histograms.median;
import static dev.helpdesk.loadtests.harness.Histograms.min;
import static dev.helpdesk.loadtests.harness.RunTable.f;

import java.util.List;
import java.util.Locale;

/**
 * summary.md's section of the attachments preset: per MEDIA_CONCURRENCY, attachments/s beside the
 * latency bound, M (the media service) and D (the disk), and which of them binds.
 */
final class AttachmentsSection {
  private AttachmentsSection() {}

  /** The section's Markdown; call only when the invocation measured the media and disk bounds. */
  static String markdown(Results res) {
    Report.Session s = res.session;
    List<RunResult> base = res.base;
    StringBuilder md = new StringBuilder();
    MediaCeilings.Result m = s.media;
    String knob = Main.MEDIA_KNOB;
    md.append("## Attachments vs ").append(knob).append("\n\n");
    md.append(String.format(Locale.ROOT, "Bounds measured in this invocation on the attachments just seeded (%,d files, %.1f MB, mean %.0f KB; "
            + "media latency %d ms):%n%n", m.sampleFiles(), m.sampleBytes() / 1e6, m.meanBytes() / 1e3, m.latencyMs()));
    md.append("- **Latency bound = c / latency**: with c downloads in flight, each taking at least the latency, no client finishes more "
        + "than c / latency per second (transfer time only lowers it).\n");
    md.append("- **M, the media service**: a bare client (a Vert.x HttpClient on its own two event loops in the harness JVM, same "
        + "URLs, same token, body read and dropped) keeping c GETs in flight for a few seconds, before the runs and again after "
        + "them; M is its best rate. At the c the runs use, the best of the two is also a bound of its own: the media service "
        + "at that concurrency (latency plus transfer).\n");
    md.append("- **D, the disk**: files of the same sizes written as the service's BlobWriter/BlobStore do (64 KB writes, "
        + "`force(false)`, close, atomic move to `ab/cd/<name>`) by t threads into a scratch directory under `target/`; D is the "
        + "best t. No hashing: D is the disk's, not the service's CPU.\n\n");
    md.append("| bound | when | concurrency | files | seconds | attachments/s | MB/s | errors |\n|---|---|---|---|---|---|---|---|\n");
    for (MediaCeilings.Trial t : m.media()) {
      md.append(String.format(Locale.ROOT, "| M (media) | %s the runs | c=%d | %,d | %.2f | %s | %s | %d |%n", t.when(), t.concurrency(),
          t.files(), t.seconds(), f(t.filesPerSec()), f(t.mbPerSec()), t.errors()));
    }
    for (MediaCeilings.Trial t : m.disk()) {
      md.append(String.format(Locale.ROOT, "| D (disk) | %s the runs | t=%d threads | %,d | %.2f | %s | %s | %d |%n", t.when(),
          t.concurrency(), t.files(), t.seconds(), f(t.filesPerSec()), f(t.mbPerSec()), t.errors()));
    }
    md.append(String.format(Locale.ROOT, "%n**M = %s attachments/s** (%s MB/s, c=%s); **D = %s files/s** (%s MB/s, t=%s).%n%n",
        f(m.m()), f(m.bestMedia() == null ? Double.NaN : m.bestMedia().mbPerSec()), m.bestMedia() == null ? "-" : m.bestMedia().concurrency(),
        f(m.d()), f(m.bestDisk() == null ? Double.NaN : m.bestDisk().mbPerSec()), m.bestDisk() == null ? "-" : m.bestDisk().concurrency()));
    md.append("The service's rate is taken over **the downloads' window**: from the first media request of the run to the last one, "
        + "plus one latency (the simulator's request counter sampled every 20 ms), because the accounts' message phases come "
        + "first and would dilute it; the rate over the whole run window is beside it. MB are 10^6 bytes of the files found in "
        + "the run's ATTACHMENTS_DIR before it was deleted.\n\n");
    md.append("| ").append(knob).append(" | runs | attachments | MB | downloads window s | attachments/s (median, min–max) | MB/s | "
        + "att/s over the run | latency bound c/L | bare client at c | M | D | what binds |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    List<String> values = s.sweep.containsKey(knob) ? res.sweepValues(knob) : List.of(s.baselineKnobs.getOrDefault(knob, "16"));
    for (String v : values) {
      List<RunResult> g = s.sweep.containsKey(knob) ? res.group(knob, v) : base;
      if (g.isEmpty()) continue;
      int c;
      try {
        c = Integer.parseInt(v);
      } catch (NumberFormatException e) {
        continue;
      }
      double a = median(g, RunResult::attachmentsPerMediaSec);
      double lat = m.latencyBound(c);
      md.append(String.format(Locale.ROOT, "| %s%s | %d | %s | %s | %s | **%s** (%s–%s) | %s | %s | %s | %s | %s | %s | %s |%n",
          v, v.equals(s.baselineKnobs.get(knob)) ? " (baseline)" : "", g.size(), f(median(g, r -> r.attachments)),
          f(median(g, r -> r.attachmentBytes < 0 ? Double.NaN : r.attachmentBytes / 1e6)), f(median(g, r -> r.mediaWindowSec)),
          f(a), f(min(g, RunResult::attachmentsPerMediaSec)), f(max(g, RunResult::attachmentsPerMediaSec)),
          f(median(g, RunResult::attachmentMbPerMediaSec)), f(median(g, RunResult::attachmentsPerSec)),
          Double.isInfinite(lat) ? "none (0 ms)" : f(lat), f(m.mediaAt(c)), f(m.m()), f(m.d()), binds(a, lat, m, c)));
    }
    md.append("\n**What binds**: the lowest of the bounds (c / latency, the bare client at the same c, M, D) is named when the service reaches at least 80 % of it; below that, "
        + "the service itself is the limit (its own per-download work: the pending-row pages, SHA-256, "
        + "the file writes, the batch transactions, and the CPU it shares with the simulator on this machine). A rate above "
        + "a bound means the measurement is wrong.\n\n");
    return md.toString();
  }

  private static String binds(double a, double lat, MediaCeilings.Result m, int c) {
    if (Double.isNaN(a)) return "n/a (nothing copied)";
    String name = "latency bound";
    double bound = lat;
    double atC = m.mediaAt(c);
    if (!Double.isNaN(atC) && atC < bound) {
      name = "media service at c=" + c + " (" + (Double.isInfinite(lat) ? "transfer" : String.format(Locale.ROOT, "%.0f %% of c/L", 100 * atC / lat)) + ")";
      bound = atC;
    }
    if (!Double.isNaN(m.m()) && m.m() < bound) {
      name = "M";
      bound = m.m();
    }
    if (!Double.isNaN(m.d()) && m.d() < bound) {
      name = "D";
      bound = m.d();
    }
    if (Double.isInfinite(bound) || Double.isNaN(bound)) return "the service (no bound measured)";
    double share = a / bound;
    if (share > 1.05) return String.format(Locale.ROOT, "**above the %s (%.0f %%): the measurement is wrong**", name, 100 * share);
    if (share >= 0.8) return String.format(Locale.ROOT, "%s (%.0f %% of it)", name, 100 * share);
    return String.format(Locale.ROOT, "the service (%.0f %% of the nearest bound, %s)", 100 * share, name);
  }
}
