package dev.helpdesk.loadtests.harness;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/** The figures of one run of the workload against one fresh service and database. */
final class RunResult {
  String label;
  Map<String, String> knobs;
  int repeat;
  List<Driver.Account> accounts;
  /** final status of each account ("channels_only (stalled)", "completed", ...) to its count */
  Map<String, Integer> finalStatuses = new TreeMap<>();
  long messages;
  long threads;
  long attachments;
  boolean allCompleted;
  double windowSec;
  final Histogram toChannelsMs = Histograms.create();
  final Histogram toRecentMs = Histograms.create();
  final Histogram toCompletedMs = Histograms.create();
  Histogram statusLatencyUs;
  long statusErrors;
  /** progress streams the driver could not open (their accounts were watched by polls alone); -1: no streams (--max-streams) */
  int streamsRefused;
  /** where the times to channels_only and recent_messages_only went; empty parts when the log lacked the marks */
  Waits waits;
  /** the simulator's answer times (µs, arrival to answer) of migration-check and channels-to-migrate during the run */
  Histogram simCheckUs;
  Histogram simChannelsUs;
  double cpuSec = Double.NaN;
  double cpuProcSec = Double.NaN;
  /** CPU of the service, the harness, dynalite, PostgreSQL and the whole machine over the run; null if not measured */
  MachineCpu.Usage machineCpu;
  double peakHeapMb = Double.NaN;
  double maxSampledHeapMb = Double.NaN;
  double rssHwmMb = Double.NaN;
  long dynamoRequests;
  long dynamoQueries;
  long dynamoItems;
  List<double[]> heapSamples = List.of();
  String note = "";
  /** what the warm-up accounts reached before the measured window, null without warm-up */
  String warmup;
  /** bytes of the copied attachment files (walked in ATTACHMENTS_DIR before it is deleted); -1 when not known */
  long attachmentBytes = -1;
  /** media requests that reached the simulator during the run (retries included) */
  long mediaRequests;
  /**
   * The downloads' window: from the first media request of the run to the last one plus one media latency (the
   * simulator's request counter sampled every 20 ms); 0 when no media request came.
   */
  double mediaWindowSec;

  /** Attachments copied per second of the whole run window (messages phases included). */
  double attachmentsPerSec() {
    return windowSec > 0 && attachments > 0 ? attachments / windowSec : Double.NaN;
  }

  /** Attachments copied per second while downloads were going on (the rate the media bounds are compared with). */
  double attachmentsPerMediaSec() {
    return mediaWindowSec > 0 && attachments > 0 ? attachments / mediaWindowSec : Double.NaN;
  }

  /** MB (10^6 bytes) of attachments written per second of the downloads' window. */
  double attachmentMbPerMediaSec() {
    return mediaWindowSec > 0 && attachmentBytes > 0 ? attachmentBytes / 1e6 / mediaWindowSec : Double.NaN;
  }

  double messagesPerSec() {
    return windowSec > 0 ? messages / windowSec : Double.NaN;
  }

  double itemsPerSec() {
    return windowSec > 0 ? (messages + threads) / windowSec : Double.NaN;
  }

  double cpuMsPerMessage() {
    return messages > 0 ? cpuSec * 1000 / messages : Double.NaN;
  }

  double dynamoRequestsPerMessage() {
    return messages > 0 ? dynamoRequests / (double) messages : Double.NaN;
  }

  double dynamoItemsPerMessage() {
    return messages > 0 ? dynamoItems / (double) messages : Double.NaN;
  }

  double pct(Histogram h, double p) {
    return Histograms.pct(h, p);
  }

  double statusMs(double p) {
    return Histograms.pct(statusLatencyUs, p) / 1000.0;
  }
}
