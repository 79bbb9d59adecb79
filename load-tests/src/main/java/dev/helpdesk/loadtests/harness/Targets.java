package dev.helpdesk.loadtests.harness;

import static dev.helpdesk.loadtests.harness.Histograms.median;
import static dev.helpdesk.loadtests.harness.RunTable.f;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The targets of issue 4 (and issue 3's rate for one large account) checked against the baseline medians of one
 * invocation. A target applies only to the workload it was set for (20 TYPICAL accounts for the latencies, the
 * whale for the heap); for any other it is "not measured by this workload", never met or missed.
 */
final class Targets {
  /** Latency targets are set for this many TYPICAL accounts starting at once. */
  static final int LATENCY_ACCOUNTS = 20;
  /** Heap "flat": the median heap left after each collection in the run's last third at most this many times the middle third's. */
  static final double FLAT_RATIO = 1.25;
  /** Heap samples each third must hold for a trend (one every 500 ms). */
  static final int MIN_SAMPLES_PER_THIRD = 3;

  enum Outcome {
    MET("met"), MISSED("**missed**"), SUSPECT("**suspect: above C**"), NOT_MEASURED("not measured"),
    NOT_THIS_WORKLOAD("not measured by this workload");

    final String text;

    Outcome(String text) {
      this.text = text;
    }
  }

  /**
   * @param name     short name for the headline
   * @param target   the target as the issue states it
   * @param measured the median figure, or why there is none
   * @param margin   by how much it is met or missed ("" when not measured)
   * @param note     the conditions of the measurement that matter to the reading
   * @param brief    the figure in a few characters, for the headline
   */
  record Check(String name, String target, String measured, Outcome outcome, String margin, String note, String brief) {
    Check(String name, String target, String measured, Outcome outcome, String margin, String note) {
      this(name, target, measured, outcome, margin, note, measured);
    }
  }

  private final Report.Session s;
  private final Results res;
  private final List<RunResult> base;
  private final List<Check> checks = new ArrayList<>();

  private Targets(Results res) {
    this.s = res.session;
    this.res = res;
    this.base = res.base;
  }

  static List<Check> check(Results res) {
    Targets t = new Targets(res);
    if (!res.base.isEmpty()) t.all();
    return t.checks;
  }

  private boolean whale() {
    return s.profile != null && s.profile.name().equals("WHALE");
  }

  private boolean fleet() {
    return s.profile != null && s.profile.name().equals("FLEET");
  }

  /** 20 or more TYPICAL accounts: the workload of the latency and status API targets. */
  private boolean latencyWorkload() {
    return s.profile != null && s.profile.name().equals("TYPICAL") && s.accountIds.size() >= LATENCY_ACCOUNTS;
  }

  private String workload() {
    return s.accountIds.size() + " " + (s.profile == null ? "?" : s.profile.name()) + " account" + (s.accountIds.size() == 1 ? "" : "s")
        + (s.scale == 1.0 ? "" : " at scale " + trim(s.scale));
  }

  private void all() {
    rateVsC("end-to-end vs C", "end-to-end items/s ≥ 0.9 × C (issue 4)", 0.9, join(
        whale() || fleet() ? (s.scale == 1.0 ? "" : "this workload is " + workload())
            : "issue 4 sets it for one whale account and for the fleet; this workload is " + workload(),
        uncountedWork()));
    cpu();
    latency("channels_only p95", "time to `channels_only` p95 ≤ 250 ms, 20 TYPICAL accounts starting at once", r -> r.pct(r.toChannelsMs, 95),
        250, "channels_only", "");
    double recentLimitMs = 3000;
    latency("recent p95", "time to `recent_messages_only` p95 ≤ 3 s, 20 TYPICAL accounts starting at once", r -> r.pct(r.toRecentMs, 95),
        recentLimitMs, "recent_messages_only", RecentFloor.describe(s, recentLimitMs));
    status();
    peakHeap();
    heapFlat();
    if (whale()) {
      rateVsC("one large account vs C", "end-to-end items/s ≥ 0.7 × C for one large account (issue 3)", 0.7,
          join(s.accountIds.size() == 1 ? whaleScaleNote() : s.accountIds.size() + " WHALE accounts, not one" + sep(whaleScaleNote()),
              uncountedWork()));
    } else {
      checks.add(notThis("one large account vs C", "end-to-end items/s ≥ 0.7 × C for one large account (issue 3)", "set for a WHALE account"));
    }
  }

  private void rateVsC(String name, String target, double fraction, String note) {
    if (s.ceilings == null) {
      checks.add(notThis(name, target, "no ceilings measured (`--no-ceilings`)"));
      return;
    }
    double e2e = median(base, RunResult::itemsPerSec);
    double c = s.ceilings.c();
    if (!res.anyMessages || Double.isNaN(e2e) || e2e == 0 || !(c > 0)) {
      checks.add(new Check(name, target, "no end-to-end rate (nothing migrated)", Outcome.NOT_MEASURED, "", note));
      return;
    }
    double ratio = e2e / c;
    String measured = String.format(Locale.ROOT, "%s items/s = %.2f × C (C = %s items/s)", f(e2e), ratio, f(c));
    if (ratio > 1) {
      checks.add(new Check(name, target, measured, Outcome.SUSPECT, "a figure above C means the measurement is wrong", note,
          String.format(Locale.ROOT, "%.2f × C", ratio)));
      return;
    }
    double gap = ratio - fraction;
    String margin = String.format(Locale.ROOT, "%.2f × C (%s items/s) %s the target", Math.abs(gap), f(Math.abs(gap) * c),
        gap >= 0 ? "above" : "short of");
    checks.add(new Check(name, target, measured, gap >= 0 ? Outcome.MET : Outcome.MISSED, margin, note,
        String.format(Locale.ROOT, "%.2f × C", ratio)));
  }

  private void cpu() {
    String target = "service CPU ≤ 40 µs per migrated message";
    String jvm = s.warmupAccounts > 0
        ? "warm JVM (" + s.warmupAccounts + " warm-up account" + (s.warmupAccounts == 1 ? "" : "s") + " migrated before the measured window)"
        : "cold JVM: JIT warm-up included (`--warmup-accounts N` measures a warm one)";
    double us = median(base, RunResult::cpuMsPerMessage) * 1000;
    if (!res.anyMessages || Double.isNaN(us)) {
      checks.add(new Check("CPU per message", target, "no message migrated", Outcome.NOT_MEASURED, "", jvm));
      return;
    }
    checks.add(upper("CPU per message", target, us, 40, "µs", jvm));
  }

  /** @param floor what this machine's ceilings allow at best, for the conditions column ("" when unknown) */
  private void latency(String name, String target, ToDoubleFunction<RunResult> p95, double limitMs, String status, String floor) {
    if (!latencyWorkload()) {
      checks.add(notThis(name, target, "set for " + LATENCY_ACCOUNTS + " or more TYPICAL accounts; this workload is " + workload()));
      return;
    }
    double ms = median(base, p95);
    if (Double.isNaN(ms)) {
      checks.add(new Check(name, target, "no account reached `" + status + "`", Outcome.NOT_MEASURED, "", latencyNote()));
      return;
    }
    checks.add(upper(name, target, ms, limitMs, "ms", latencyNote() + sep(floor)));
  }

  private void status() {
    String target = "status API p99 ≤ 50 ms while 20 migrations run";
    if (!latencyWorkload()) {
      checks.add(notThis("status API p99", target, "set for " + LATENCY_ACCOUNTS + " or more migrations at once; this workload is " + workload()));
      return;
    }
    double ms = median(base, r -> r.statusMs(99));
    if (Double.isNaN(ms)) {
      checks.add(new Check("status API p99", target, "no status poll answered", Outcome.NOT_MEASURED, "", latencyNote()));
      return;
    }
    checks.add(upper("status API p99", target, ms, 50, "ms", latencyNote()
        + "; every poll of the run counts, also those of its tail when fewer migrations were still running"));
  }

  private String latencyNote() {
    List<String> n = new ArrayList<>();
    n.add(s.staggerMs == 0 ? s.accountIds.size() + " accounts started at once"
        : s.accountIds.size() + " accounts arriving every " + s.staggerMs + " ms, not all at once");
    if (s.scale != 1.0) n.add("accounts at scale " + trim(s.scale) + " of TYPICAL, smaller than the target's");
    return String.join("; ", n);
  }

  private void peakHeap() {
    String target = "peak heap below the service's -Xmx (issue 4: the whale completes under -Xmx256m)";
    if (!whale()) {
      checks.add(notThis("peak heap", target, "set for the whale"));
      return;
    }
    double xmxMb = xmxMb(s.jvmOpts);
    if (Double.isNaN(xmxMb)) {
      checks.add(new Check("peak heap", target, "no -Xmx in the service JVM options `" + s.jvmOpts + "`", Outcome.NOT_MEASURED, "",
          whaleScaleNote()));
      return;
    }
    double peak = median(base, r -> r.peakHeapMb);
    if (Double.isNaN(peak)) {
      checks.add(new Check("peak heap", target, "no heap figure", Outcome.NOT_MEASURED, "", whaleScaleNote()));
      return;
    }
    List<String> n = new ArrayList<>();
    n.add("sum of the heap pools' peaks, an upper bound" + (base.size() > 1 ? "; worst run " + f(Histograms.max(base, r -> r.peakHeapMb)) + " MB" : ""));
    long notCompleted = base.stream().filter(r -> !r.allCompleted).count();
    n.add(notCompleted == 0 ? "every run completed" : notCompleted + " of " + base.size() + " runs did not complete");
    if (Math.abs(xmxMb - 256) > 0.5) n.add("the issue's limit is -Xmx256m; this invocation gave `" + xmx(s.jvmOpts) + "`");
    if (!whaleScaleNote().isEmpty()) n.add(whaleScaleNote());
    double ratio = peak / xmxMb;
    String margin = String.format(Locale.ROOT, "%.2f × -Xmx (%s MB %s)", ratio, f(Math.abs(xmxMb - peak)), peak < xmxMb ? "below" : "at or above");
    checks.add(new Check("peak heap", target, f(peak) + " MB of " + f(xmxMb) + " MB (`" + xmx(s.jvmOpts) + "`)",
        peak < xmxMb ? Outcome.MET : Outcome.MISSED, margin, String.join("; ", n), f(peak) + " MB of " + f(xmxMb) + " MB"));
  }

  private void heapFlat() {
    String target = String.format(Locale.ROOT, "heap flat over time: median heap left after each collection in the run's last "
        + "third ≤ %.2f × in its middle third", FLAT_RATIO);
    if (!whale()) {
      checks.add(notThis("heap flat", target, "set for the whale"));
      return;
    }
    List<Double> ratios = new ArrayList<>();
    List<Double> usedRatios = new ArrayList<>();
    for (RunResult r : base) {
      ratios.add(thirdsRatio(r.heapSamples, 2, 1));
      usedRatios.add(thirdsRatio(r.heapSamples, 1, 0));
    }
    double ratio = Histograms.median(ratios);
    if (Double.isNaN(ratio)) {
      checks.add(new Check("heap flat", target, String.format(Locale.ROOT, "runs too short for a trend (fewer than %d heap samples "
          + "per third; one every 500 ms)", MIN_SAMPLES_PER_THIRD), Outcome.NOT_MEASURED, "", whaleScaleNote()));
      return;
    }
    String perRun = ratios.stream().map(x -> Double.isNaN(x) ? "n/a" : String.format(Locale.ROOT, "%.2f", x))
        .reduce((a, b) -> a + ", " + b).orElse("");
    checks.add(new Check("heap flat", target, String.format(Locale.ROOT, "last third / middle third = %.2f (runs: %s)", ratio, perRun),
        ratio <= FLAT_RATIO ? Outcome.MET : Outcome.MISSED,
        String.format(Locale.ROOT, "%.2f %s the %.2f limit", Math.abs(ratio - FLAT_RATIO), ratio <= FLAT_RATIO ? "under" : "over", FLAT_RATIO),
        String.format(Locale.ROOT, "heap left after each collection (GC notifications), sampled every 500 ms; the middle third, "
            + "because the first holds the start-up; heap used including garbage, last / first third: %.2f; the threshold is the "
            + "harness's reading of \"flat\"", Histograms.median(usedRatios)) + sep(whaleScaleNote()),
        String.format(Locale.ROOT, "ratio %.2f", ratio)));
  }

  /**
   * Median of sample column {@code column} over the last third of the samples' time span, divided by its
   * median over third {@code fromThird} (0 first, 1 middle); NaN with too few samples (or values).
   */
  static double thirdsRatio(List<double[]> samples, int column, int fromThird) {
    if (samples.isEmpty()) return Double.NaN;
    double end = samples.stream().mapToDouble(p -> p[0]).max().orElse(0);
    List<Double> from = new ArrayList<>();
    List<Double> last = new ArrayList<>();
    for (double[] p : samples) {
      if (p.length <= column || Double.isNaN(p[column])) continue;
      int third = p[0] < end / 3 ? 0 : p[0] < 2 * end / 3 ? 1 : 2;
      if (third == fromThird) from.add(p[column]);
      else if (third == 2) last.add(p[column]);
    }
    if (from.size() < MIN_SAMPLES_PER_THIRD || last.size() < MIN_SAMPLES_PER_THIRD) return Double.NaN;
    double a = Histograms.median(from);
    return a > 0 ? Histograms.median(last) / a : Double.NaN;
  }

  /** The end-to-end rate includes copying the attachments; C reads and writes the messages only. */
  private String uncountedWork() {
    long attachments = Math.round(median(base, r -> (double) r.attachments));
    return attachments > 0 ? String.format(Locale.ROOT, "the runs also copied %,d attachments, work C does not count", attachments) : "";
  }

  private String whaleScaleNote() {
    if (s.scale == 1.0) return "";
    return "the account at scale " + trim(s.scale) + " of WHALE"
        + (s.seeded == null ? "" : String.format(Locale.ROOT, " (%,d messages, not 1,000,000)", s.seeded.totalMessages()));
  }

  /** A figure against an upper limit: met at or under it; the margin as a ratio and a difference. */
  private static Check upper(String name, String target, double measured, double limit, String unit, String note) {
    boolean met = measured <= limit;
    String margin = String.format(Locale.ROOT, "%.2f × the limit (%s %s %s)", measured / limit, f(Math.abs(measured - limit)), unit,
        met ? "under" : "over");
    return new Check(name, target, f(measured) + " " + unit, met ? Outcome.MET : Outcome.MISSED, margin, note);
  }

  private static Check notThis(String name, String target, String why) {
    return new Check(name, target, "—", Outcome.NOT_THIS_WORKLOAD, "", why);
  }

  /** The last -Xmx of the options, in MB; NaN without one. */
  static double xmxMb(String jvmOpts) {
    String x = xmx(jvmOpts);
    if (x == null) return Double.NaN;
    Matcher m = Pattern.compile("-Xmx(\\d+)([kKmMgGtT]?)").matcher(x);
    if (!m.matches()) return Double.NaN;
    double v = Double.parseDouble(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "" -> v / 1048576.0;
      case "k" -> v / 1024.0;
      case "m" -> v;
      case "g" -> v * 1024;
      default -> v * 1024 * 1024;
    };
  }

  private static String xmx(String jvmOpts) {
    if (jvmOpts == null) return null;
    String found = null;
    for (String opt : jvmOpts.trim().split("\\s+")) if (opt.startsWith("-Xmx")) found = opt;
    return found;
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }

  private static String join(String a, String b) {
    return a.isEmpty() ? b : a + sep(b);
  }

  private static String sep(String note) {
    return note.isEmpty() ? "" : "; " + note;
  }

  // ------------------------------------------------------------------ Markdown

  /** The "## Targets" section. */
  static String section(List<Check> checks, int baselineRuns) {
    StringBuilder md = new StringBuilder("## Targets\n\n");
    if (checks.isEmpty()) {
      return md.append("No runs of the workload: no target was measured.\n\n").toString();
    }
    md.append("The targets of issue 4 (and issue 3's rate for one large account) against the medians of the ").append(baselineRuns)
        .append(" baseline run").append(baselineRuns == 1 ? "" : "s")
        .append(". A target set for another workload is not measured by this one. Issue 4 asks for medians of at least 3 runs")
        .append(baselineRuns < 3 ? "; this invocation made " + baselineRuns + ", so the readings are indicative only" : "")
        .append(".\n\n");
    md.append("| target | measured | result | margin | conditions |\n|---|---|---|---|---|\n");
    for (Check c : checks) {
      md.append("| ").append(c.target()).append(" | ").append(c.measured()).append(" | ").append(c.outcome().text).append(" | ")
          .append(c.margin().isEmpty() ? "—" : c.margin()).append(" | ").append(c.note().isEmpty() ? "—" : c.note()).append(" |\n");
    }
    return md.append('\n').toString();
  }

  /** One headline line: which targets were met, missed or not measured. */
  static String headline(List<Check> checks) {
    List<String> parts = new ArrayList<>();
    for (Outcome o : Outcome.values()) {
      List<String> names = checks.stream().filter(c -> c.outcome() == o).map(c -> o == Outcome.MISSED || o == Outcome.SUSPECT
          ? c.name() + " (" + c.brief() + ")" : c.name()).toList();
      if (names.isEmpty()) continue;
      String label = switch (o) {
        case MET -> "met";
        case MISSED -> "missed";
        case SUSPECT -> "above C (suspect)";
        case NOT_MEASURED -> "not measured";
        case NOT_THIS_WORKLOAD -> "not measured by this workload";
      };
      parts.add(o == Outcome.NOT_THIS_WORKLOAD ? label + ": " + names.size() : label + ": " + String.join(", ", names));
    }
    return "- Targets (see Targets): " + String.join("; ", parts) + ".\n";
  }
}
