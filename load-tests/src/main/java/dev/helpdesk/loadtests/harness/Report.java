package dev.helpdesk.loadtests.harness;

import static dev.helpdesk.loadtests.harness.Histograms.max;
import static dev.helpdesk.loadtests.harness.Histograms.median;
import static dev.helpdesk.loadtests.harness.Histograms.min;
import static dev.helpdesk.loadtests.harness.RunTable.f;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * Writes one folder per invocation: summary.md ({@link Summary}: every figure, medians over repeats) and
 * hand-made SVG charts. Raw data never goes there (the service logs stay under target/load-tests/).
 */
final class Report {
  static final String BASELINE = "baseline";

  /** Everything a report is made from. */
  static final class Session {
    String name;
    String command;
    String startedAt;
    double durationSec;
    Profile profile;
    double scale = 1.0;
    long seed;
    List<String> accountIds = List.of();
    SeedSummary seeded;
    double seedSec;
    long staggerMs;
    Ceilings.Result ceilings;
    Map<String, String> baselineKnobs = new LinkedHashMap<>();
    /** knob to the values tried (baseline's included) */
    Map<String, List<String>> sweep = new LinkedHashMap<>();
    List<RunResult> runs = new ArrayList<>();
    String jvmOpts;
    int warmupAccounts;
    List<String> notes = new ArrayList<>();
    /** --media-latency-ms: the simulator's media answers waited this long throughout the invocation */
    long mediaLatencyMs;
    /** the simulator answered the Conversations calls from the seeding (--sim-answers memory) */
    boolean simFromMemory;
    /** M, D and the latency bound, when measured (the attachments preset) */
    MediaCeilings.Result media;
    /** MIGRATION_RECENT_DAYS of the baseline: which seeded threads a recent phase copies */
    int recentDays = 30;
  }

  /** The folder written, and what could not be written in it (a chart or the full summary), with the reason. */
  record Written(Path dir, List<String> failures) {}

  private interface SvgSource {
    String svg() throws Exception;
  }

  private Report() {}

  /**
   * Writes the folder. A chart that cannot be drawn is left out; a summary that cannot be built is replaced by
   * the run table: both are listed in {@link Written#failures()}, so the caller can fail the command while the
   * runs' figures are kept. Throws only when the folder or summary.md itself cannot be written.
   */
  static Written write(Path reportsDir, Session s) throws IOException {
    Path dir = Files.createDirectories(reportsDir.resolve(s.startedAt + "-" + s.name));
    List<String> charts = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    Results res = new Results(s);
    List<RunResult> base = res.base;

    if (s.ceilings != null) chart(charts, failures, dir, "ceilings.svg", () -> ceilingsChart(res));
    if (!base.isEmpty()) {
      chart(charts, failures, dir, "latency-percentiles.svg", () -> {
        List<Svg.Bar> bars = new ArrayList<>();
        addPct(bars, "time to channels_only (ms)", base, r -> r.toChannelsMs, 1);
        addPct(bars, "time to recent_messages_only (ms)", base, r -> r.toRecentMs, 1);
        addPct(bars, "time to completed (ms)", base, r -> r.toCompletedMs, 1);
        addPct(bars, "status API latency (ms)", base, r -> r.statusLatencyUs, 1000);
        return Svg.bars("Latency percentiles, baseline (median of " + base.size() + " runs)", bars);
      });
      chart(charts, failures, dir, "heap-over-time.svg", () -> heapChart(base));
    }
    for (String knob : s.sweep.keySet()) {
      if (s.media != null && knob.equals(Main.MEDIA_KNOB)) {
        chart(charts, failures, dir, "attachments-vs-" + knob + ".svg", () -> attachmentsChart(res));
      } else {
        chart(charts, failures, dir, "throughput-vs-" + knob + ".svg", () -> sweepChart(res, knob));
      }
    }
    String md;
    try {
      md = Summary.markdown(res, charts);
      if (!failures.isEmpty()) {
        md += "\n## Not written\n\n" + failures.stream().map(x -> "- " + x + "\n").collect(Collectors.joining()) + "\n";
      }
    } catch (RuntimeException e) {
      failures.add("summary.md: " + e);
      md = Summary.fallback(s, e, charts, failures);
      System.out.println("The runs' figures (the summary could not be built):\n\n" + RunTable.of(s.runs, false));
    }
    Files.writeString(dir.resolve("summary.md"), md);
    return new Written(dir, failures);
  }

  /** Every run's figures as text, for stdout when no report could be written. */
  static String runsText(Session s) {
    return "Runs of " + s.command + " (baseline settings " + RunTable.knobText(s.baselineKnobs) + "):\n\n" + RunTable.of(s.runs, false);
  }

  /** One chart: a chart that fails is left out and listed, it never costs the summary or the other charts. */
  private static void chart(List<String> charts, List<String> failures, Path dir, String file, SvgSource source) {
    try {
      Files.writeString(dir.resolve(file), source.svg());
      charts.add(file);
    } catch (Exception e) {
      failures.add(file + ": " + e);
    }
  }

  private static String ceilingsChart(Results res) {
    Ceilings.Result c = res.session.ceilings;
    List<Svg.Bar> bars = new ArrayList<>();
    c.reads().forEach(t -> bars.add(new Svg.Bar("R: source reads (items/s)", "k = " + t.concurrency() + " in flight", t.rate(), "items/s")));
    c.writes().forEach(t -> bars.add(new Svg.Bar("S: PostgreSQL upserts (rows/s)", "c = " + t.concurrency() + " in flight", t.rate(), "rows/s")));
    bars.add(new Svg.Bar("C = R·S/(R+S) vs end-to-end (items/s)", "C", c.c(), "items/s"));
    if (c.overlapped() != null) {
      bars.add(new Svg.Bar("C = R·S/(R+S) vs end-to-end (items/s)", "O (reads and writes at once)", c.o(), "items/s"));
    }
    bars.add(new Svg.Bar("C = R·S/(R+S) vs end-to-end (items/s)", "end-to-end (median)", median(res.base, RunResult::itemsPerSec), "items/s"));
    return Svg.bars("Ceilings and end-to-end rate", bars);
  }

  private static String heapChart(List<RunResult> base) {
    List<Svg.Series> heap = new ArrayList<>();
    for (RunResult r : base) {
      double[] x = r.heapSamples.stream().mapToDouble(p -> p[0]).toArray();
      double[] y = r.heapSamples.stream().mapToDouble(p -> p[1]).toArray();
      heap.add(new Svg.Series("run " + r.repeat + " used", x, y));
      List<double[]> kept = r.heapSamples.stream().filter(p -> p.length > 2 && !Double.isNaN(p[2])).toList();
      if (!kept.isEmpty()) {
        heap.add(new Svg.Series("run " + r.repeat + " after GC", kept.stream().mapToDouble(p -> p[0]).toArray(),
            kept.stream().mapToDouble(p -> p[2]).toArray()));
      }
    }
    return Svg.line("Service heap over time (baseline runs): used, and left after the latest collection",
        "seconds since the workload started (sampled every 500 ms)", "heap (MB)", heap, List.of(), false, null);
  }

  /** Throughput (or, when nothing moved, time to channels_only) per value of a knob: a line over numbers, bars otherwise. */
  private static String sweepChart(Results res, String knob) {
    Session s = res.session;
    List<String> values = res.sweepValues(knob);
    ToDoubleFunction<RunResult> score = res.sweepFigure();
    boolean moved = res.anyMessages;
    double cMessages = s.ceilings == null ? Double.NaN : s.ceilings.c() * res.msgShare;
    String title = (moved ? "Throughput" : "Time to channels_only") + " vs " + knob;
    if (!Results.numeric(values)) {
      // settings without an order (an HTTP client, a flag): one bar per value, in the order given, and C beside them
      String group = moved ? "end-to-end messages/s (median of the runs)" : "time to channels_only p50 (ms; no messages moved)";
      List<Svg.Bar> bars = new ArrayList<>();
      for (String v : values) {
        List<RunResult> g = res.group(knob, v);
        bars.add(new Svg.Bar(group, v + (v.equals(s.baselineKnobs.get(knob)) ? " (baseline)" : ""), median(g, score),
            (moved ? "msg/s" : "ms") + " (" + g.size() + (g.size() == 1 ? " run" : " runs, min–max " + f(min(g, score)) + "–"
                + f(max(g, score))) + ")"));
      }
      if (moved && s.ceilings != null) bars.add(new Svg.Bar(group, "C (ceiling)", cMessages, "msg/s"));
      return Svg.bars(title, bars);
    }
    double[] x = values.stream().mapToDouble(Double::parseDouble).toArray();
    double[] y = new double[x.length], lo = new double[x.length], hi = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      List<RunResult> g = res.group(knob, values.get(i));
      y[i] = median(g, score);
      lo[i] = min(g, score);
      hi[i] = max(g, score);
    }
    List<Svg.Ref> refs = moved && s.ceilings != null ? List.of(new Svg.Ref("C ≈ " + Svg.num(cMessages) + " msg/s", cMessages)) : List.of();
    String yLabel = moved ? "end-to-end messages/s (median, min-max)" : "time to channels_only p50 (ms; no messages moved)";
    return Svg.line(title, knob, yLabel, List.of(new Svg.Series(moved ? "messages/s" : "p50 ms", x, y, lo, hi)), refs, true, values);
  }

  /**
   * Attachments/s (downloads' window, median with min–max) per MEDIA_CONCURRENCY, the bare client at the same c, and
   * the bounds: c / latency as a line (left out where it is far above everything else, so the rest stays readable),
   * M and D as horizontal references.
   */
  private static String attachmentsChart(Results res) {
    Session s = res.session;
    MediaCeilings.Result m = s.media;
    List<String> values = res.sweepValues(Main.MEDIA_KNOB);
    double[] x = values.stream().mapToDouble(Double::parseDouble).toArray();
    double[] y = new double[x.length], lo = new double[x.length], hi = new double[x.length];
    double[] raw = new double[x.length], lat = new double[x.length];
    double top = Math.max(Double.isNaN(m.m()) ? 0 : m.m(), Double.isNaN(m.d()) ? 0 : m.d());
    for (int i = 0; i < x.length; i++) {
      List<RunResult> g = res.group(Main.MEDIA_KNOB, values.get(i));
      y[i] = median(g, RunResult::attachmentsPerMediaSec);
      lo[i] = min(g, RunResult::attachmentsPerMediaSec);
      hi[i] = max(g, RunResult::attachmentsPerMediaSec);
      raw[i] = m.mediaAt((int) x[i]);
      if (!Double.isNaN(hi[i])) top = Math.max(top, hi[i]);
      if (!Double.isNaN(raw[i])) top = Math.max(top, raw[i]);
    }
    boolean clipped = false;
    for (int i = 0; i < x.length; i++) {
      double b = m.latencyBound((int) x[i]);
      lat[i] = Double.isInfinite(b) || b > 1.5 * top ? Double.NaN : b;
      clipped |= !Double.isNaN(b) && Double.isNaN(lat[i]) && !Double.isInfinite(b);
    }
    List<Svg.Series> series = new ArrayList<>();
    series.add(new Svg.Series("service (min-max)", x, y, lo, hi));
    series.add(new Svg.Series("bare client at c", x, raw));
    if (m.latencyMs() > 0) series.add(new Svg.Series("c / " + m.latencyMs() + " ms" + (clipped ? " (cut)" : ""), x, lat));
    List<Svg.Ref> refs = List.of(new Svg.Ref("M " + Svg.num(m.m()) + "/s", m.m(), "#9467bd"),
        new Svg.Ref("D " + Svg.num(m.d()) + "/s", m.d(), "#8c564b"));
    return Svg.line("Attachments/s vs " + Main.MEDIA_KNOB + " (media latency " + m.latencyMs() + " ms)", Main.MEDIA_KNOB,
        "attachments/s over the downloads' window", series, refs, true, values);
  }

  private static void addPct(List<Svg.Bar> bars, String group, List<RunResult> runs, Function<RunResult, Histogram> h, double div) {
    for (double p : new double[] {50, 95, 99}) {
      bars.add(new Svg.Bar(group, "p" + (int) p, median(runs, r -> Histograms.pct(h.apply(r), p) / div), "ms"));
    }
  }
}
