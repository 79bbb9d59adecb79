package dev.helpdesk.loadtests.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Where an account's time to {@code channels_only} and to {@code recent_messages_only} goes: the
 * driver's clock (start sent, start answered, status seen) lined up with the service's log (phase
 * claimed, phase done; millisecond wall-clock stamps of the same machine). Each part is a histogram
 * over the run's accounts, in ms; an account missing a mark is left out of the parts that need it.
 */
final class Waits {
  /** Part name to its histogram, in the order a customer lives through them. */
  final Map<String, Histogram> parts = new LinkedHashMap<>();

  static final String START = "start request answered";
  static final String CHANNELS_QUEUE = "accepted until the channels phase started";
  static final String CHANNELS_PHASE = "channels phase (Conversations calls, upsert, status)";
  static final String CHANNELS_SEEN = "channels_only committed until seen by the app";
  static final String RECENT_QUEUE = "channels_only until the recent phase started";
  static final String RECENT_PHASE = "recent phase (DynamoDB reads and writes)";
  static final String RECENT_SEEN = "recent_messages_only committed until seen";
  static final List<String> ORDER = List.of(START, CHANNELS_QUEUE, CHANNELS_PHASE, CHANNELS_SEEN, RECENT_QUEUE,
      RECENT_PHASE, RECENT_SEEN);

  /** The phase's start is its end less its duration: a run that goes on into the next phase logs no claim. */
  private static final Pattern DONE = Pattern.compile(
      "^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) .* account (\\S+) job \\d+: phase (channels|recent) done in (\\d+) ms");

  private Waits() {
    ORDER.forEach(p -> parts.put(p, Histograms.create()));
  }

  /** Marks of one account from the log: wall-clock ms of the first start and end of each phase. */
  private static final class Marks {
    final Map<String, Long> ran = new HashMap<>();
    final Map<String, Long> done = new HashMap<>();
  }

  static Waits of(List<Driver.Account> accounts, Path serviceLog) {
    Waits w = new Waits();
    if (accounts.isEmpty()) return w;
    long anchor = accounts.stream().mapToLong(a -> a.startWallMs).filter(t -> t > 0).min().orElse(System.currentTimeMillis());
    Map<String, Marks> marks = read(serviceLog, anchor);
    int channels = Driver.RANKED.indexOf("channels_only");
    int recent = Driver.RANKED.indexOf("recent_messages_only");
    for (Driver.Account a : accounts) {
      if (a.startNs == 0 || a.acceptedNs == 0) continue;
      long acceptedWall = a.startWallMs + (a.acceptedNs - a.startNs) / 1_000_000;
      w.add(START, (a.acceptedNs - a.startNs) / 1e6);
      Marks m = marks.get(a.id);
      if (m == null) continue;
      Long chRan = m.ran.get("channels");
      Long chDone = m.done.get("channels");
      Long reRan = m.ran.get("recent");
      Long reDone = m.done.get("recent");
      w.add(CHANNELS_QUEUE, diff(acceptedWall, chRan));
      w.add(CHANNELS_PHASE, diff(chRan, chDone));
      w.add(CHANNELS_SEEN, diff(chDone, a.reachedWallMs[channels]));
      w.add(RECENT_QUEUE, diff(chDone, reRan));
      w.add(RECENT_PHASE, diff(reRan, reDone));
      w.add(RECENT_SEEN, diff(reDone, a.reachedWallMs[recent]));
    }
    return w;
  }

  private void add(String part, double ms) {
    // clocks of two processes at ms resolution: a sub-ms negative is a tie
    if (!Double.isNaN(ms)) parts.get(part).recordValue(Math.max(1, Math.round(ms)));
  }

  private static double diff(Long from, Long to) {
    return from == null || to == null || from == 0 || to == 0 ? Double.NaN : to - from;
  }

  private static Map<String, Marks> read(Path log, long anchorWallMs) {
    Map<String, Marks> marks = new HashMap<>();
    if (log == null || !Files.isRegularFile(log)) return marks;
    ZonedDateTime anchor = Instant.ofEpochMilli(anchorWallMs).atZone(ZoneId.systemDefault());
    try (Stream<String> lines = Files.lines(log)) {
      lines.forEach(line -> mark(DONE.matcher(line), anchor, marks));
    } catch (IOException | java.io.UncheckedIOException e) {
      Stack.log("could not read " + log + " for the waits: " + e);
    }
    return marks;
  }

  private static void mark(Matcher m, ZonedDateTime anchor, Map<String, Marks> marks) {
    if (!m.find()) return;
    ZonedDateTime at = anchor.with(LocalTime.parse(m.group(1)));
    // a run that crossed midnight: its log's times of day restart at 00:00
    if (at.isBefore(anchor.minusHours(12))) at = at.plusDays(1);
    long wall = at.toInstant().toEpochMilli();
    Marks mk = marks.computeIfAbsent(m.group(2), k -> new Marks());
    if (mk.done.putIfAbsent(m.group(3), wall) == null) mk.ran.put(m.group(3), wall - Long.parseLong(m.group(4)));
  }

  /** The parts of the times to channels_only and recent_messages_only, and the simulator's share of them. */
  static String section(List<RunResult> base) {
    if (base.stream().allMatch(r -> r.waits == null)) return "";
    StringBuilder md = new StringBuilder();
    md.append("### Where the time to a status goes\n\n")
        .append("Per account: the driver's clock (start sent and answered, status first seen by its poll or its progress ")
        .append("stream) lined up with the service's log (each phase's end and duration). Medians over the runs of each ")
        .append("run's percentiles, ms. The Conversations simulator rows are its own answer times (arrival to answer).\n\n")
        .append("| part | p50 | p95 | p99 | accounts per run |\n|---|---|---|---|---|\n");
    for (String part : Waits.ORDER) {
      row(md, part, base.stream().map(r -> r.waits == null ? null : r.waits.parts.get(part)).toList(), 1);
    }
    row(md, "Conversations simulator: `migration-check` answers", base.stream().map(r -> r.simCheckUs).toList(), 1000);
    row(md, "Conversations simulator: `channels-to-migrate` answers", base.stream().map(r -> r.simChannelsUs).toList(), 1000);
    int refused = base.stream().mapToInt(r -> Math.max(0, r.streamsRefused)).sum();
    md.append('\n');
    if (base.stream().anyMatch(r -> r.streamsRefused < 0)) {
      md.append("More accounts than `--max-streams`: they were watched by their 200 ms polls alone, so a time to a status ")
          .append("includes up to one poll interval.\n\n");
    }
    if (refused > 0) md.append("Progress streams refused (those accounts were watched by polls only): ").append(refused).append(".\n\n");
    return md.toString();
  }

  private static void row(StringBuilder md, String part, List<org.HdrHistogram.Histogram> perRun, double divisor) {
    List<org.HdrHistogram.Histogram> runs = perRun.stream().filter(h -> h != null && h.getTotalCount() > 0).toList();
    if (runs.isEmpty()) return;
    java.util.function.DoubleFunction<String> at = p -> RunTable.f(Histograms.median(runs.stream().map(h -> h.getValueAtPercentile(p) / divisor).toList()));
    md.append("| ").append(part).append(" | ").append(at.apply(50)).append(" | ").append(at.apply(95)).append(" | ")
        .append(at.apply(99)).append(" | ").append(RunTable.f(Histograms.median(runs.stream().map(h -> (double) h.getTotalCount()).toList())))
        .append(" |\n");
  }
}
