package dev.helpdesk.loadtests.harness;

import static dev.helpdesk.loadtests.harness.Histograms.median;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/** How runs are printed: the per-run Markdown table (in summary.md, and on stdout when no report could be written). */
final class RunTable {
  private RunTable() {}

  /** One row per run, and with {@code medianRow} a last row of the medians over them. */
  static String of(List<RunResult> runs, boolean medianRow) {
    StringBuilder md = new StringBuilder();
    md.append("| run | msgs | window s | msg/s | items/s | att/s | to channels_only p50/p95/p99 ms | to recent p50/p95/p99 ms | to completed p50/p95/p99 ms "
        + "| status API p50/p95/p99 ms | CPU s | CPU ms/msg | peak heap MB | RSS MB | DDB req/msg | DDB items/msg |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (RunResult r : runs) {
      md.append(String.format(Locale.ROOT, "| %s #%d | %,d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
          r.label, r.repeat, r.messages, f(r.windowSec), f(r.messagesPerSec()), f(r.itemsPerSec()), f(r.attachmentsPerSec()),
          p3(r, r.toChannelsMs, 1), p3(r, r.toRecentMs, 1), p3(r, r.toCompletedMs, 1), p3(r, r.statusLatencyUs, 1000),
          f(r.cpuSec), f(r.cpuMsPerMessage()), f(r.peakHeapMb), f(r.rssHwmMb), f(r.dynamoRequestsPerMessage()),
          f(r.dynamoItemsPerMessage())));
    }
    if (medianRow) {
      md.append(String.format(Locale.ROOT, "| **median** | %s | %s | **%s** | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
          f(median(runs, r -> r.messages)), f(median(runs, r -> r.windowSec)), f(median(runs, RunResult::messagesPerSec)),
          f(median(runs, RunResult::itemsPerSec)), f(median(runs, RunResult::attachmentsPerSec)), med3(runs, r -> r.toChannelsMs, 1), med3(runs, r -> r.toRecentMs, 1),
          med3(runs, r -> r.toCompletedMs, 1), med3(runs, r -> r.statusLatencyUs, 1000), f(median(runs, r -> r.cpuSec)),
          f(median(runs, RunResult::cpuMsPerMessage)), f(median(runs, r -> r.peakHeapMb)), f(median(runs, r -> r.rssHwmMb)),
          f(median(runs, RunResult::dynamoRequestsPerMessage)), f(median(runs, RunResult::dynamoItemsPerMessage))));
    }
    return md.toString();
  }

  /** "3× completed, 1× channels_only (stalled)": the final statuses of all accounts of the runs. */
  static String statuses(List<RunResult> runs) {
    Map<String, Integer> all = new TreeMap<>();
    runs.forEach(r -> r.finalStatuses.forEach((k, v) -> all.merge(k, v, Integer::sum)));
    return all.entrySet().stream().map(e -> e.getValue() + "× " + e.getKey()).collect(Collectors.joining(", "));
  }

  /** "`K=v`, `K2=w`", or "defaults" when no setting was given. */
  static String knobText(Map<String, String> knobs) {
    return knobs.isEmpty() ? "defaults" : knobs.entrySet().stream().map(e -> "`" + e.getKey() + "=" + e.getValue() + "`")
        .collect(Collectors.joining(", "));
  }

  /** A figure as the report prints it ("n/a" for NaN). */
  static String f(double v) {
    return Svg.num(v);
  }

  private static String p3(RunResult r, Histogram h, double div) {
    return f(Histograms.pct(h, 50) / div) + " / " + f(Histograms.pct(h, 95) / div) + " / " + f(Histograms.pct(h, 99) / div);
  }

  private static String med3(List<RunResult> runs, Function<RunResult, Histogram> h, double div) {
    return f(median(runs, r -> Histograms.pct(h.apply(r), 50) / div)) + " / " + f(median(runs, r -> Histograms.pct(h.apply(r), 95) / div))
        + " / " + f(median(runs, r -> Histograms.pct(h.apply(r), 99) / div));
  }
}
