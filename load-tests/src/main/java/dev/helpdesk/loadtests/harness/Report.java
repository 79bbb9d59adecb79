package dev.helpdesk.loadtests.harness;

import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * Writes one folder per invocation: summary.md (every figure, medians over repeats) and hand-made
 * SVG charts. Raw data never goes there (the service logs stay under target/load-tests/).
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
    Map<String, List<RunResult>> byLabel = new LinkedHashMap<>();
    s.runs.forEach(r -> byLabel.computeIfAbsent(r.label, k -> new ArrayList<>()).add(r));
    List<RunResult> base = byLabel.getOrDefault(BASELINE, List.of());
    boolean anyMessages = s.runs.stream().anyMatch(r -> r.messages > 0);
    double msgShare = messageShare(s);

    if (s.ceilings != null) chart(charts, failures, dir, "ceilings.svg", () -> {
      List<Svg.Bar> bars = new ArrayList<>();
      s.ceilings.reads().forEach(t -> bars.add(new Svg.Bar("R: source reads (items/s)", "k = " + t.concurrency() + " in flight", t.rate(), "items/s")));
      s.ceilings.writes().forEach(t -> bars.add(new Svg.Bar("S: PostgreSQL upserts (rows/s)", "c = " + t.concurrency() + " in flight", t.rate(), "rows/s")));
      bars.add(new Svg.Bar("C = R·S/(R+S) vs end-to-end (items/s)", "C", s.ceilings.c(), "items/s"));
      bars.add(new Svg.Bar("C = R·S/(R+S) vs end-to-end (items/s)", "end-to-end (median)", median(base, RunResult::itemsPerSec), "items/s"));
      return Svg.bars("Ceilings and end-to-end rate", bars);
    });
    if (!base.isEmpty()) {
      chart(charts, failures, dir, "latency-percentiles.svg", () -> {
        List<Svg.Bar> bars = new ArrayList<>();
        addPct(bars, "time to channels_only (ms)", base, r -> r.toChannelsMs, 1);
        addPct(bars, "time to recent_messages_only (ms)", base, r -> r.toRecentMs, 1);
        addPct(bars, "time to completed (ms)", base, r -> r.toCompletedMs, 1);
        addPct(bars, "status API latency (ms)", base, r -> r.statusLatencyUs, 1000);
        return Svg.bars("Latency percentiles, baseline (median of " + base.size() + " runs)", bars);
      });
      chart(charts, failures, dir, "heap-over-time.svg", () -> {
        List<Svg.Series> heap = new ArrayList<>();
        for (RunResult r : base) {
          double[] x = r.heapSamples.stream().mapToDouble(p -> p[0]).toArray();
          double[] y = r.heapSamples.stream().mapToDouble(p -> p[1]).toArray();
          heap.add(new Svg.Series("run " + r.repeat, x, y));
        }
        return Svg.line("Service heap used over time (baseline runs)",
            "seconds since the workload started (sampled every 500 ms)", "heap used (MB)", heap, List.of(), false, null);
      });
    }
    for (Map.Entry<String, List<String>> e : s.sweep.entrySet()) {
      String knob = e.getKey();
      chart(charts, failures, dir, "throughput-vs-" + knob + ".svg", () -> sweepChart(s, byLabel, knob, e.getValue(), anyMessages, msgShare));
    }
    String md;
    try {
      md = summary(s, byLabel, base, anyMessages, msgShare, charts);
      if (!failures.isEmpty()) {
        md += "\n## Not written\n\n" + failures.stream().map(f -> "- " + f + "\n").collect(Collectors.joining()) + "\n";
      }
    } catch (RuntimeException e) {
      failures.add("summary.md: " + e);
      md = fallbackSummary(s, e, charts, failures);
      System.out.println("The runs' figures (the summary could not be built):\n\n" + runTable(s.runs, false));
    }
    Files.writeString(dir.resolve("summary.md"), md);
    return new Written(dir, failures);
  }

  /** The folder written, and what could not be written in it (a chart or the full summary), with the reason. */
  record Written(Path dir, List<String> failures) {}

  private interface SvgSource {
    String svg() throws Exception;
  }

  /** One chart: a chart that fails is left out and listed, it never costs the summary or the other charts. */
  private static void chart(List<String> charts, List<String> failures, Path dir, String file, SvgSource source) {
    try {
      charts.add(write(dir, file, source.svg()));
    } catch (Exception e) {
      failures.add(file + ": " + e);
    }
  }

  private static String sweepChart(Session s, Map<String, List<RunResult>> byLabel, String knob, List<String> tried,
                                   boolean anyMessages, double msgShare) {
    List<String> values = sweepValues(tried);
    ToDoubleFunction<RunResult> score = anyMessages ? RunResult::messagesPerSec : r -> r.pct(r.toChannelsMs, 50);
    String title = (anyMessages ? "Throughput" : "Time to channels_only") + " vs " + knob;
    if (!numeric(values)) {
      // settings without an order (an HTTP client, a flag): one bar per value, in the order given, and C beside them
      String group = anyMessages ? "end-to-end messages/s (median of the runs)" : "time to channels_only p50 (ms; no messages moved)";
      List<Svg.Bar> bars = new ArrayList<>();
      for (String v : values) {
        List<RunResult> g = group(byLabel, s, knob, v);
        bars.add(new Svg.Bar(group, v + (v.equals(s.baselineKnobs.get(knob)) ? " (baseline)" : ""), median(g, score),
            (anyMessages ? "msg/s" : "ms") + " (" + g.size() + (g.size() == 1 ? " run" : " runs, min–max " + f(min(g, score)) + "–"
                + f(max(g, score))) + ")"));
      }
      if (anyMessages && s.ceilings != null) bars.add(new Svg.Bar(group, "C (ceiling)", s.ceilings.c() * msgShare, "msg/s"));
      return Svg.bars(title, bars);
    }
    double[] x = values.stream().mapToDouble(Double::parseDouble).toArray();
    double[] y = new double[x.length], lo = new double[x.length], hi = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      List<RunResult> g = group(byLabel, s, knob, values.get(i));
      y[i] = median(g, score);
      lo[i] = min(g, score);
      hi[i] = max(g, score);
    }
    List<Svg.Ref> refs = anyMessages && s.ceilings != null
        ? List.of(new Svg.Ref("C ≈ " + Svg.num(s.ceilings.c() * msgShare) + " msg/s", s.ceilings.c() * msgShare)) : List.of();
    String yLabel = anyMessages ? "end-to-end messages/s (median, min-max)" : "time to channels_only p50 (ms; no messages moved)";
    return Svg.line(title, knob, yLabel, List.of(new Svg.Series(anyMessages ? "messages/s" : "p50 ms", x, y, lo, hi)), refs, true, values);
  }

  /** Every run's figures as text, for stdout when no report could be written. */
  static String runsText(Session s) {
    return "Runs of " + s.command + " (baseline settings " + knobText(s.baselineKnobs) + "):\n\n" + runTable(s.runs, false);
  }

  /** When the full summary cannot be built: the reason, the session's settings and every run's figures. */
  private static String fallbackSummary(Session s, Exception e, List<String> charts, List<String> failures) {
    StringBuilder md = new StringBuilder();
    md.append("# Load test `").append(s.name).append("` — ").append(s.startedAt).append(" (incomplete report)\n\n");
    md.append("The summary could not be built: `").append(e).append("`. The figures of every run follow; ")
        .append("medians, checks and sweep rankings are missing.\n\n");
    md.append("Command: `").append(s.command).append("`  \nBaseline settings: ").append(knobText(s.baselineKnobs)).append("\n\n");
    if (s.ceilings != null) {
      md.append(String.format(Locale.ROOT, "R = %s items/s, S = %s rows/s, C = %s items/s.%n%n", f(s.ceilings.r()), f(s.ceilings.s()),
          f(s.ceilings.c())));
    }
    md.append(runTable(s.runs, false)).append('\n');
    md.append("Final statuses: ").append(statuses(s.runs)).append("\n\n");
    failures.forEach(x -> md.append("- not written: ").append(x).append('\n'));
    charts.forEach(c -> md.append("\n![").append(c).append("](").append(c).append(")\n"));
    return md.toString();
  }

  // ------------------------------------------------------------------ summary.md

  private static String summary(Session s, Map<String, List<RunResult>> byLabel, List<RunResult> base,
                                boolean anyMessages, double msgShare, List<String> charts) {
    StringBuilder md = new StringBuilder();
    md.append("# Load test `").append(s.name).append("` — ").append(s.startedAt).append("\n\n");
    md.append("> **Noisy numbers.** Measured on a shared machine with ").append(Runtime.getRuntime().availableProcessors())
        .append(" cores while other test suites were running; dynalite (one Node process), PostgreSQL, the harness and the service ")
        .append("all share those cores. These are benchmarks, not tests: compare runs made on the same machine in the same ")
        .append("conditions, and trust medians over spreads. A figure above C would mean the measurement is wrong.\n\n");
    md.append("Command: `").append(s.command).append("`  \n");
    md.append(String.format(Locale.ROOT, "Wall time: %.0f s. Java %s, service JVM options `%s`.%n%n",
        s.durationSec, System.getProperty("java.version"), s.jvmOpts));
    s.notes.forEach(n -> md.append("- ").append(n).append('\n'));
    if (!s.notes.isEmpty()) md.append('\n');

    md.append(headline(s, byLabel, base, anyMessages, msgShare));
    md.append("## Workload\n\n");
    if (s.seeded != null) {
      md.append(String.format(Locale.ROOT, "Profile `%s` (threads per account %d–%d, %.2f messages per thread, attachment ratio %.2f, "
              + "scale %.3g), seed %d, %d accounts, seeded into DynamoDB in %.1f s: **%,d threads, %,d messages, %,d attachments**. "
              + "Arrivals every %d ms; even accounts started by the app (`start-migration`, JWT), odd ones by Conversations "
              + "(`/v1/migrate`); each polled every 200 ms like the app.%n%n",
          s.profile.name(), s.profile.minThreads(), s.profile.maxThreads(), s.profile.meanMessagesPerThread(),
          s.profile.attachmentRatio(), s.scale, s.seed, s.accountIds.size(), s.seedSec, s.seeded.totalThreads(),
          s.seeded.totalMessages(), s.seeded.totalAttachments(), s.staggerMs));
      md.append(s.warmupAccounts > 0
          ? "Each run's service first migrated " + s.warmupAccounts + " small warm-up account(s) (TYPICAL at scale 0.2) outside the "
              + "measured window: the figures are those of a warmed-up JVM.\n\n"
          : "Each run starts a fresh service JVM and measures from its first migration on: the figures include JIT warm-up "
              + "(a cold instance), which weighs most on CPU per message in short runs (`--warmup-accounts N` measures a warm one).\n\n");
      md.append("The end-to-end figures include copying the attachments from the simulated media service (C does not: it covers "
          + "the threads and messages only).\n\n");
    }

    if (s.ceilings != null) {
      Ceilings.Result c = s.ceilings;
      md.append("## Ceilings (same run, same data)\n\n");
      md.append("| measure | concurrency | items | requests | seconds | rate |\n|---|---|---|---|---|---|\n");
      c.reads().forEach(t -> md.append(String.format(Locale.ROOT, "| R read | k=%d | %,d | %,d Query | %.2f | %,.0f items/s |%n", t.concurrency(), t.items(), t.requests(), t.seconds(), t.rate())));
      c.writes().forEach(t -> md.append(String.format(Locale.ROOT, "| S write | c=%d | %,d | %,d upserts | %.2f | %,.0f rows/s |%n", t.concurrency(), t.items(), t.requests(), t.seconds(), t.rate())));
      md.append(String.format(Locale.ROOT, "%n**R = %,.0f items/s** (k=%s), **S = %,.0f rows/s** (c=%s, %d rows per statement), "
              + "**C = R·S/(R+S) = %,.0f items/s** (≈ %,.0f messages/s at this workload's %.0f %% messages).%n%n",
          c.r(), c.bestRead() == null ? "-" : c.bestRead().concurrency(), c.s(), c.bestWrite() == null ? "-" : c.bestWrite().concurrency(),
          c.batchSize(), c.c(), c.c() * msgShare, msgShare * 100));
      md.append(String.format(Locale.ROOT, "S wrote rows made of the %,d threads and %,d messages R read (repeated with suffixed keys when fewer than the row target). "
              + "R's Query count is the least a reader of this data needs: compare it with the service's DynamoDB requests per message below.%n%n",
          c.sampleThreads(), c.sampleMessages()));
    }

    if (!base.isEmpty()) {
      md.append("## Baseline: ").append(base.size()).append(" runs at ").append(knobText(s.baselineKnobs)).append("\n\n");
      md.append(runTable(base, true));
      md.append('\n');
      md.append("Final statuses seen: ").append(statuses(base)).append("\n\n");
      md.append("CPU cross-check, /proc/PID/stat user+system of the service (10 ms ticks) vs its OperatingSystemMXBean: ")
          .append(base.stream().map(r -> f(r.cpuProcSec) + " s vs " + f(r.cpuSec) + " s").collect(Collectors.joining("; ")))
          .append(". Attachments copied per run: ")
          .append(base.stream().map(r -> String.format(Locale.ROOT, "%,d", r.attachments)).collect(Collectors.joining(", ")))
          .append(".\n\n");
      if (s.accountIds.size() < 100) {
        md.append("With ").append(s.accountIds.size()).append(" accounts per run, the p95 and p99 of the times to a status are ")
            .append("the slowest account's; they get meaning with more accounts (`--accounts`).\n\n");
      }
      if (!anyMessages) {
        md.append("**No messages were migrated in any run** (final statuses above): nothing moved until the stall timeout ")
            .append("or the run's deadline. Either this build's message phases (recent / older / catch-up) are not in yet, ")
            .append("or they could not run (see the service logs). Only the way to `channels_only` was measured; throughput, ")
            .append("CPU per message and DynamoDB per message are n/a. The harness needs no change once the phases work.\n\n");
      } else if (base.stream().noneMatch(r -> r.allCompleted)) {
        md.append("Not every account completed: rates are over the window up to the last progress change, and are partial.\n\n");
      }
      long statusErrors = base.stream().mapToLong(r -> r.statusErrors).sum();
      if (statusErrors > 0) md.append("Status polls that failed or did not answer 200: ").append(statusErrors).append(".\n\n");
      List<String> notes = base.stream().filter(r -> !r.note.isBlank()).map(r -> "run " + r.repeat + ": " + r.note).toList();
      if (!notes.isEmpty()) {
        md.append("Notes from the runs:\n\n");
        notes.forEach(n -> md.append("- ").append(n).append('\n'));
        md.append('\n');
      }
      if (s.ceilings != null) {
        double e2e = median(base, RunResult::itemsPerSec);
        double c = s.ceilings.c();
        md.append("### Check against C\n\n");
        if (Double.isNaN(e2e) || e2e == 0) {
          md.append("No end-to-end item rate to compare (nothing migrated).\n\n");
        } else if (e2e > c) {
          md.append(String.format(Locale.ROOT, "**Suspect measurement**: end-to-end %,.0f items/s is above C = %,.0f items/s. "
              + "Something is counted twice or C was measured badly; do not use these figures.%n%n", e2e, c));
        } else {
          md.append(String.format(Locale.ROOT, "End-to-end median %,.0f items/s = %.0f %% of C (%,.0f items/s).%n%n", e2e, 100 * e2e / c, c));
        }
      }
    }

    if (!s.sweep.isEmpty()) {
      md.append("## Sweep (one setting at a time around the baseline)\n\n");
      md.append(anyMessages ? "Ranked by median end-to-end messages/s.\n\n"
          : "No messages moved, so settings are ranked by median time to `channels_only` (p50, lower is better).\n\n");
      if (anyMessages && base.size() > 1) {
        md.append(String.format(Locale.ROOT, "The baseline's own spread over %d runs was %s–%s messages/s: a sweep point inside that "
            + "range cannot be told apart from the baseline on this machine.%n%n", base.size(),
            f(min(base, RunResult::messagesPerSec)), f(max(base, RunResult::messagesPerSec))));
      }
      Map<String, String> best = new LinkedHashMap<>();
      for (Map.Entry<String, List<String>> e : s.sweep.entrySet()) {
        String knob = e.getKey();
        md.append("### ").append(knob).append("\n\n");
        md.append("| value | runs | msg/s (median) | to channels_only p50 ms | to completed p50 ms | status API p99 ms | CPU ms/msg | peak heap MB | statuses |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        String bestValue = bestPerKnob(s, byLabel, anyMessages).get(knob);
        for (String v : sweepValues(e.getValue())) {
          List<RunResult> g = group(byLabel, s, knob, v);
          md.append(String.format(Locale.ROOT, "| %s%s | %d | %s | %s | %s | %s | %s | %s | %s |%n", v,
              v.equals(s.baselineKnobs.get(knob)) ? " (baseline)" : "", g.size(),
              f(median(g, RunResult::messagesPerSec)), f(median(g, r -> r.pct(r.toChannelsMs, 50))),
              f(median(g, r -> r.pct(r.toCompletedMs, 50))), f(median(g, r -> r.statusMs(99))),
              f(median(g, RunResult::cpuMsPerMessage)), f(median(g, r -> r.peakHeapMb)), statuses(g)));
        }
        if (bestValue != null) best.put(knob, bestValue);
        md.append("\nBest: **").append(bestValue == null ? "n/a" : bestValue).append("**\n\n");
      }
      md.append("**Best setting found per knob**: ").append(knobText(best))
          .append(". Knobs were varied one at a time, so their combination was not itself measured; confirm it with ")
          .append("`./dev load-test run --set ...` before adopting it. Sweep points with one run are indicative only.\n\n");
      List<RunResult> others = s.runs.stream().filter(r -> !r.label.equals(BASELINE)).toList();
      if (!others.isEmpty()) {
        md.append("All sweep runs:\n\n").append(runTable(others, false)).append('\n');
      }
    }

    if (!charts.isEmpty()) {
      md.append("## Charts\n\n");
      charts.forEach(c -> md.append("![").append(c).append("](").append(c).append(")\n\n"));
    }

    md.append("""
        ## How each figure is measured

        - **Service**: a child JVM per run (`ServiceProcess`: the production `SettingsLoader` + `Migrator.start`), with a
          fresh PostgreSQL database and fresh attachments directory, configured through the CONTRACT §4 environment
          variables. A child JVM keeps the harness's own work (driver, pollers, Conversations simulator, ceilings) out of
          the service's CPU, heap and RSS figures.
        - **msg/s, items/s**: messages (and threads) the service reports as migrated in its progress, summed over the
          accounts, divided by the time from the first start request to the last account's `completed` (or, when not all
          completed, to the last progress change seen).
        - **to channels_only / recent_messages_only / completed**: per account, from its start request to the first poll
          that showed that status or a later one (200 ms polling: ±200 ms); HdrHistogram percentiles over the accounts of a
          run, then the median over runs.
        - **status API**: latency of every `GET /v1/accounts/{id}` poll while the migrations ran (HdrHistogram, µs).
        - **CPU ms/msg**: the service JVM's process CPU time (OperatingSystemMXBean, cross-checked against /proc/PID/stat)
          from the first start request to the end of the run, per migrated message.
        - **peak heap**: sum of the heap pools' peak usage since the run started (an upper bound of the true peak);
          heap over time is sampled every 500 ms. **RSS**: VmHWM of the service process (its whole life, start-up included).
        - **DynamoDB req/msg, items/msg**: HTTP attempts (retries included) and Query items counted by an SDK execution
          interceptor loaded into the service JVM through the SDK's global interceptor list (no change to the service),
          per migrated message. Items/msg above 1 means items are read more than once (or threads are counted too).
        - **R, S, C**: see the Ceilings section; measured once per invocation before the runs, on the same data.
        """);
    return md.toString();
  }

  private static String headline(Session s, Map<String, List<RunResult>> byLabel, List<RunResult> base, boolean anyMessages,
                                 double msgShare) {
    StringBuilder md = new StringBuilder("## Headline\n\n");
    if (!base.isEmpty()) {
      md.append(String.format(Locale.ROOT, "- Baseline (%s), median of %d runs: **%s messages/s** end to end; time to `channels_only` p50 %s ms, "
              + "to `completed` p50 %s ms; status API p99 %s ms; %s ms CPU per message; peak heap %s MB; RSS %s MB.%n",
          knobText(s.baselineKnobs), base.size(), f(median(base, RunResult::messagesPerSec)),
          f(median(base, r -> r.pct(r.toChannelsMs, 50))), f(median(base, r -> r.pct(r.toCompletedMs, 50))),
          f(median(base, r -> r.statusMs(99))), f(median(base, RunResult::cpuMsPerMessage)),
          f(median(base, r -> r.peakHeapMb)), f(median(base, r -> r.rssHwmMb))));
      md.append("- Final statuses: ").append(statuses(base)).append(".\n");
    }
    if (s.ceilings != null) {
      double e2e = median(base, RunResult::itemsPerSec);
      md.append(String.format(Locale.ROOT, "- Ceilings: R = %s items/s, S = %s rows/s, C = %s items/s (≈ %s messages/s)%s.%n",
          f(s.ceilings.r()), f(s.ceilings.s()), f(s.ceilings.c()), f(s.ceilings.c() * msgShare),
          base.isEmpty() || Double.isNaN(e2e) || e2e == 0 ? "" : String.format(Locale.ROOT, "; end to end reaches %.0f %% of C%s",
              100 * e2e / s.ceilings.c(), e2e > s.ceilings.c() ? " — ABOVE C: the measurement is wrong" : "")));
    }
    if (!s.sweep.isEmpty()) {
      Map<String, String> best = bestPerKnob(s, byLabel, anyMessages);
      md.append("- Sweep, best value per knob: ").append(knobText(best));
      if (anyMessages && base.size() > 1) {
        md.append(" (baseline spread ").append(f(min(base, RunResult::messagesPerSec))).append("–")
            .append(f(max(base, RunResult::messagesPerSec))).append(" messages/s: differences inside it are noise)");
      }
      md.append(".\n");
    }
    return md.append('\n').toString();
  }

  private static Map<String, String> bestPerKnob(Session s, Map<String, List<RunResult>> byLabel, boolean anyMessages) {
    Map<String, String> best = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : s.sweep.entrySet()) {
      String bestValue = null;
      double bestScore = Double.NaN;
      for (String v : sweepValues(e.getValue())) {
        List<RunResult> g = group(byLabel, s, e.getKey(), v);
        double score = anyMessages ? median(g, RunResult::messagesPerSec) : -median(g, r -> r.pct(r.toChannelsMs, 50));
        if (!Double.isNaN(score) && (Double.isNaN(bestScore) || score > bestScore)) {
          bestScore = score;
          bestValue = v;
        }
      }
      if (bestValue != null) best.put(e.getKey(), bestValue);
    }
    return best;
  }

  private static String runTable(List<RunResult> runs, boolean medianRow) {
    StringBuilder md = new StringBuilder();
    md.append("| run | msgs | window s | msg/s | items/s | to channels_only p50/p95/p99 ms | to recent p50/p95/p99 ms | to completed p50/p95/p99 ms "
        + "| status API p50/p95/p99 ms | CPU s | CPU ms/msg | peak heap MB | RSS MB | DDB req/msg | DDB items/msg |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (RunResult r : runs) {
      md.append(String.format(Locale.ROOT, "| %s #%d | %,d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
          r.label, r.repeat, r.messages, f(r.windowSec), f(r.messagesPerSec()), f(r.itemsPerSec()),
          p3(r, r.toChannelsMs, 1), p3(r, r.toRecentMs, 1), p3(r, r.toCompletedMs, 1), p3(r, r.statusLatencyUs, 1000),
          f(r.cpuSec), f(r.cpuMsPerMessage()), f(r.peakHeapMb), f(r.rssHwmMb), f(r.dynamoRequestsPerMessage()),
          f(r.dynamoItemsPerMessage())));
    }
    if (medianRow) {
      md.append(String.format(Locale.ROOT, "| **median** | %s | %s | **%s** | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
          f(median(runs, r -> r.messages)), f(median(runs, r -> r.windowSec)), f(median(runs, RunResult::messagesPerSec)),
          f(median(runs, RunResult::itemsPerSec)), med3(runs, r -> r.toChannelsMs, 1), med3(runs, r -> r.toRecentMs, 1),
          med3(runs, r -> r.toCompletedMs, 1), med3(runs, r -> r.statusLatencyUs, 1000), f(median(runs, r -> r.cpuSec)),
          f(median(runs, RunResult::cpuMsPerMessage)), f(median(runs, r -> r.peakHeapMb)), f(median(runs, r -> r.rssHwmMb)),
          f(median(runs, RunResult::dynamoRequestsPerMessage)), f(median(runs, RunResult::dynamoItemsPerMessage))));
    }
    return md.toString();
  }

  private static String p3(RunResult r, Histogram h, double div) {
    return f(Histograms.pct(h, 50) / div) + " / " + f(Histograms.pct(h, 95) / div) + " / " + f(Histograms.pct(h, 99) / div);
  }

  private static String med3(List<RunResult> runs, java.util.function.Function<RunResult, Histogram> h, double div) {
    return f(median(runs, r -> Histograms.pct(h.apply(r), 50) / div)) + " / " + f(median(runs, r -> Histograms.pct(h.apply(r), 95) / div))
        + " / " + f(median(runs, r -> Histograms.pct(h.apply(r), 99) / div));
  }

  private static void addPct(List<Svg.Bar> bars, String group, List<RunResult> runs,
                             java.util.function.Function<RunResult, Histogram> h, double div) {
    for (double p : new double[] {50, 95, 99}) {
      bars.add(new Svg.Bar(group, "p" + (int) p, median(runs, r -> Histograms.pct(h.apply(r), p) / div), "ms"));
    }
  }

  /** The runs of knob=value: the baseline's when that value is the baseline's. */
  private static List<RunResult> group(Map<String, List<RunResult>> byLabel, Session s, String knob, String value) {
    if (value.equals(s.baselineKnobs.get(knob))) return byLabel.getOrDefault(BASELINE, List.of());
    return byLabel.getOrDefault(knob + "=" + value, List.of());
  }

  private static String statuses(List<RunResult> runs) {
    Map<String, Integer> all = new TreeMap<>();
    runs.forEach(r -> r.finalStatuses.forEach((k, v) -> all.merge(k, v, Integer::sum)));
    return all.entrySet().stream().map(e -> e.getValue() + "× " + e.getKey()).collect(Collectors.joining(", "));
  }

  private static String knobText(Map<String, String> knobs) {
    return knobs.isEmpty() ? "defaults" : knobs.entrySet().stream().map(e -> "`" + e.getKey() + "=" + e.getValue() + "`")
        .collect(Collectors.joining(", "));
  }

  private static double messageShare(Session s) {
    if (s.seeded == null) return 1;
    double m = s.seeded.totalMessages();
    return m / (m + s.seeded.totalThreads());
  }

  /** The values a knob was run at, once each: in numeric order when all are numbers, else in the order given. */
  static List<String> sweepValues(List<String> values) {
    List<String> v = new ArrayList<>(new java.util.LinkedHashSet<>(values));
    if (numeric(v)) v.sort((a, b) -> Double.compare(Double.parseDouble(a), Double.parseDouble(b)));
    return v;
  }

  static boolean numeric(List<String> values) {
    for (String v : values) {
      try {
        if (!Double.isFinite(Double.parseDouble(v))) return false;
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return true;
  }

  static double median(List<RunResult> runs, ToDoubleFunction<RunResult> f) {
    return Histograms.median(runs.stream().map(r -> f.applyAsDouble(r)).toList());
  }

  static double min(List<RunResult> runs, ToDoubleFunction<RunResult> f) {
    return Histograms.min(runs.stream().map(r -> f.applyAsDouble(r)).toList());
  }

  static double max(List<RunResult> runs, ToDoubleFunction<RunResult> f) {
    return Histograms.max(runs.stream().map(r -> f.applyAsDouble(r)).toList());
  }

  private static String f(double v) {
    return Svg.num(v);
  }

  private static String write(Path dir, String file, String svg) throws IOException {
    Files.writeString(dir.resolve(file), svg);
    return file;
  }
}
