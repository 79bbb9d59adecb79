package dev.helpdesk.loadtests.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;

/** HdrHistogram helpers: 3 significant digits, auto-resizing; and medians across repeated runs. */
final class Histograms {
  private Histograms() {}

  static Histogram create() {
    Histogram h = new Histogram(3);
    h.setAutoResize(true);
    return h;
  }

  /** The value at a percentile, or NaN when the histogram is empty. */
  static double pct(Histogram h, double percentile) {
    return h == null || h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile);
  }

  static double median(List<Double> values) {
    List<Double> v = new ArrayList<>();
    for (Double d : values) if (d != null && !d.isNaN()) v.add(d);
    if (v.isEmpty()) return Double.NaN;
    v.sort(Double::compare);
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }

  static double min(List<Double> values) {
    return values.stream().filter(d -> d != null && !d.isNaN()).mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  static double max(List<Double> values) {
    return values.stream().filter(d -> d != null && !d.isNaN()).mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }

  /** The median of one figure over runs (NaN figures left out; NaN when none is left). */
  static double median(List<RunResult> runs, ToDoubleFunction<RunResult> figure) {
    return median(runs.stream().map(r -> figure.applyAsDouble(r)).toList());
  }

  static double min(List<RunResult> runs, ToDoubleFunction<RunResult> figure) {
    return min(runs.stream().map(r -> figure.applyAsDouble(r)).toList());
  }

  static double max(List<RunResult> runs, ToDoubleFunction<RunResult> figure) {
    return max(runs.stream().map(r -> figure.applyAsDouble(r)).toList());
  }
}
