package dev.helpdesk.loadtests.sim;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * What reached the simulator: arrivals and answers per route kind ({@value #CHECK}, {@value #CHANNELS},
 * {@value #MEDIA}, {@value #OTHER}; the /_sim control routes are not counted) and a bounded log of
 * the latest requests. A request is logged when it arrives, so stalled ones are in the log too; in
 * the answer counters a stalled request shows as status {@value #STALLED}. The API routes' answer times
 * (arrival to answer, fault latency included) are kept per kind, so a load test can tell the
 * simulator's share of a wait from the service's.
 */
public final class Stats {
  public static final String CHECK = "check";
  public static final String CHANNELS = "channels";
  public static final String MEDIA = "media";
  public static final String OTHER = "other";
  public static final int STALLED = 0;

  /**
   * @param path the request URI (path and query)
   * @param authorization whether an Authorization header was present (its value is never kept)
   */
  public record Request(long timeMs, String kind, String method, String path, boolean authorization) {
    JsonObject toJson() {
      return new JsonObject().put("timeMs", timeMs).put("kind", kind).put("method", method).put("path", path)
          .put("authorization", authorization);
    }
  }

  private final int capacity;
  private final Map<String, LongAdder> arrivals = new ConcurrentHashMap<>();
  private final Map<String, Map<Integer, LongAdder>> answers = new ConcurrentHashMap<>();
  private final ArrayDeque<Request> log = new ArrayDeque<>();
  private final Map<String, Histogram> answerTimesUs = new ConcurrentHashMap<>();

  public Stats(int capacity) {
    this.capacity = Math.max(1, capacity);
  }

  void arrived(Request r) {
    arrivals.computeIfAbsent(r.kind(), k -> new LongAdder()).increment();
    synchronized (log) {
      if (log.size() == capacity) log.removeFirst();
      log.addLast(r);
    }
  }

  void answered(String kind, int status) {
    answers.computeIfAbsent(kind, k -> new ConcurrentHashMap<>()).computeIfAbsent(status, s -> new LongAdder()).increment();
  }

  void answerTime(String kind, long micros) {
    answerTimesUs.computeIfAbsent(kind, k -> {
      Histogram h = new SynchronizedHistogram(3);
      h.setAutoResize(true);
      return h;
    }).recordValue(Math.max(1, micros));
  }

  /** A copy of the answer times (µs) of this kind since the last reset; empty when none. */
  public Histogram answerTimesUs(String kind) {
    Histogram h = answerTimesUs.get(kind);
    if (h == null) {
      Histogram empty = new Histogram(3);
      empty.setAutoResize(true);
      return empty;
    }
    return h.copy();
  }

  public void resetAnswerTimes() {
    answerTimesUs.clear();
  }

  /** Requests of this kind that arrived, answered or not. */
  public long requests(String kind) {
    LongAdder a = arrivals.get(kind);
    return a == null ? 0 : a.sum();
  }

  public long totalRequests() {
    return arrivals.values().stream().mapToLong(LongAdder::sum).sum();
  }

  public long answers(String kind, int status) {
    Map<Integer, LongAdder> byStatus = answers.get(kind);
    LongAdder a = byStatus == null ? null : byStatus.get(status);
    return a == null ? 0 : a.sum();
  }

  /** The logged requests, oldest first (at most the capacity given at start). */
  public List<Request> log() {
    synchronized (log) {
      return List.copyOf(log);
    }
  }

  public List<Request> logSince(long timeMs) {
    return log().stream().filter(r -> r.timeMs() >= timeMs).toList();
  }

  public void reset() {
    synchronized (log) {
      arrivals.clear();
      answers.clear();
      answerTimesUs.clear();
      log.clear();
    }
  }

  public JsonObject toJson() {
    JsonObject arr = new JsonObject();
    new TreeMap<>(arrivals).forEach((k, v) -> arr.put(k, v.sum()));
    JsonObject ans = new JsonObject();
    new TreeMap<>(answers).forEach((k, m) -> {
      JsonObject byStatus = new JsonObject();
      new TreeMap<>(m).forEach((s, v) -> byStatus.put(s == STALLED ? "stalled" : Integer.toString(s), v.sum()));
      ans.put(k, byStatus);
    });
    JsonArray entries = new JsonArray();
    log().forEach(r -> entries.add(r.toJson()));
    return new JsonObject().put("requests", arr).put("answers", ans).put("log", entries);
  }
}
