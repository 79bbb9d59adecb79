package dev.helpdesk.loadtests.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * A session's runs as the report reads them: grouped by label (the baseline, then {@code KNOB=value} per sweep
 * point), with the figures every part of the report shares (whether anything moved, the share of messages in the
 * items, which runs belong to a sweep value, the best value of each knob).
 */
final class Results {
  final Report.Session session;
  final Map<String, List<RunResult>> byLabel = new LinkedHashMap<>();
  final List<RunResult> base;
  /** false when no run migrated a message: settings are then ranked by time to channels_only */
  final boolean anyMessages;
  /** messages / (messages + threads) of the seeded data, to turn C (items/s) into messages/s */
  final double msgShare;
  /** an attachments session (M and D measured): settings are ranked by attachments/s over the downloads' window */
  final boolean attachmentsFocus;

  Results(Report.Session s) {
    this.session = s;
    s.runs.forEach(r -> byLabel.computeIfAbsent(r.label, k -> new ArrayList<>()).add(r));
    this.base = byLabel.getOrDefault(Report.BASELINE, List.of());
    this.anyMessages = s.runs.stream().anyMatch(r -> r.messages > 0);
    this.msgShare = messageShare(s);
    this.attachmentsFocus = s.media != null && s.runs.stream().anyMatch(r -> r.attachments > 0);
  }

  /** What a sweep ranks by: attachments/s (attachments session), end-to-end messages/s, or time to channels_only p50 when nothing moved. */
  ToDoubleFunction<RunResult> sweepFigure() {
    if (attachmentsFocus) return RunResult::attachmentsPerMediaSec;
    return anyMessages ? RunResult::messagesPerSec : r -> r.pct(r.toChannelsMs, 50);
  }

  /** The runs of knob=value: the baseline's when that value is the baseline's. */
  List<RunResult> group(String knob, String value) {
    if (value.equals(session.baselineKnobs.get(knob))) return byLabel.getOrDefault(Report.BASELINE, List.of());
    return byLabel.getOrDefault(knob + "=" + value, List.of());
  }

  /** The values a knob was run at, once each: in numeric order when all are numbers, else in the order given. */
  List<String> sweepValues(String knob) {
    List<String> v = new ArrayList<>(new LinkedHashSet<>(session.sweep.getOrDefault(knob, List.of())));
    if (numeric(v)) v.sort((a, b) -> Double.compare(Double.parseDouble(a), Double.parseDouble(b)));
    return v;
  }

  /** Whether every value is a finite number (a setting with an order, charted on an axis). */
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

  /** Per swept knob, the value with the best median: most messages/s, or when nothing moved, the soonest channels_only. */
  Map<String, String> bestPerKnob() {
    Map<String, String> best = new LinkedHashMap<>();
    for (String knob : session.sweep.keySet()) {
      String bestValue = null;
      double bestScore = Double.NaN;
      for (String v : sweepValues(knob)) {
        List<RunResult> g = group(knob, v);
        double score = attachmentsFocus ? Histograms.median(g, RunResult::attachmentsPerMediaSec)
            : anyMessages ? Histograms.median(g, RunResult::messagesPerSec) : -Histograms.median(g, r -> r.pct(r.toChannelsMs, 50));
        if (!Double.isNaN(score) && (Double.isNaN(bestScore) || score > bestScore)) {
          bestScore = score;
          bestValue = v;
        }
      }
      if (bestValue != null) best.put(knob, bestValue);
    }
    return best;
  }

  private static double messageShare(Report.Session s) {
    if (s.seeded == null) return 1;
    double m = s.seeded.totalMessages();
    return m / (m + s.seeded.totalThreads());
  }
}
