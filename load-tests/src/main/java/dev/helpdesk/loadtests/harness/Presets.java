package dev.helpdesk.loadtests.harness;

import java.util.List;
import java.util.Map;

/**
 * The session commands of {@code ./dev load-test} (see {@link Main}): each fills the options the command line did
 * not give and says whether the session measures the ceilings and sweeps.
 */
final class Presets {
  /** What a session does besides its baseline runs. */
  record Plan(boolean ceilings, boolean sweep) {}

  private Presets() {}

  static Plan apply(String cmd, Options o) {
    switch (cmd) {
      case "quick" -> {
        o.defaults(Map.ofEntries(Map.entry("name", "quick"), Map.entry("profile", "TYPICAL"), Map.entry("scale", "0.15"),
            Map.entry("accounts", "6"), Map.entry("seed", "7"), Map.entry("stagger-ms", "250"), Map.entry("repeats", "3"),
            Map.entry("sweep-repeats", "1"), Map.entry("stall-sec", "8"), Map.entry("run-timeout-sec", "60"),
            Map.entry("read-concurrency", "16,64"), Map.entry("write-concurrency", "1,4,8"),
            Map.entry("ceiling-accounts", "6"), Map.entry("ceiling-min-rows", "30000"), Map.entry("budget-sec", "165")));
        o.defaultsMulti("sweep", List.of("MIGRATION_THREAD_CONCURRENCY=2,32", "MIGRATION_ACCOUNTS_PARALLEL=2"));
        return new Plan(true, true);
      }
      case "whale" -> {
        // the heap of issue 4's target: a whale run at the harness's usual -Xmx1g measured nothing about it
        o.defaults(Map.ofEntries(Map.entry("name", scaledName("whale", o, 1)), Map.entry("profile", "WHALE"), Map.entry("accounts", "1"),
            Map.entry("service-jvm-opts", "-Xmx256m"),
            Map.entry("seed", "11"), Map.entry("stagger-ms", "0"), Map.entry("repeats", "3"), Map.entry("stall-sec", "60"),
            Map.entry("run-timeout-sec", "7200"), Map.entry("read-concurrency", "16,64"),
            Map.entry("write-concurrency", "1,4,8"), Map.entry("ceiling-accounts", "1"), Map.entry("ceiling-min-rows", "0")));
        return new Plan(true, !o.all("sweep").isEmpty());
      }
      case "latency" -> {
        // the workload of the targets for channels_only / recent_messages_only p95 and status API p99: 20 TYPICAL
        // accounts starting at once; ceilings at the concurrencies that won before (reads 64, writes 4 or 8)
        o.defaults(Map.ofEntries(Map.entry("name", scaledName("latency", o, 20)), Map.entry("profile", "TYPICAL"),
            Map.entry("accounts", "20"), Map.entry("seed", "7"), Map.entry("stagger-ms", "0"), Map.entry("repeats", "3"),
            Map.entry("read-concurrency", "64"), Map.entry("write-concurrency", "4,8")));
        return new Plan(true, !o.all("sweep").isEmpty());
      }
      case "fleet" -> {
        // many small-to-typical accounts (FLEET: 5-300 threads each), arriving every 20 ms; C over all of them
        o.defaults(Map.ofEntries(Map.entry("name", scaledName("fleet", o, 500)), Map.entry("profile", "FLEET"),
            Map.entry("accounts", "500"), Map.entry("seed", "13"), Map.entry("stagger-ms", "20"), Map.entry("repeats", "3"),
            Map.entry("run-timeout-sec", "3600"), Map.entry("read-concurrency", "64"), Map.entry("write-concurrency", "4,8")));
        o.defaults(Map.of("ceiling-accounts", o.str("accounts", "500")));
        return new Plan(true, !o.all("sweep").isEmpty());
      }
      case "attachments" -> {
        // attachments on their own: every message of a few TYPICAL accounts at a tenth of their size carries 1-2
        // attachments (log-uniform 100 B - 1 MiB, mean about 113 KB), the media route answers after 50 ms, and
        // MEDIA_CONCURRENCY (downloads in flight) is swept; M, D and concurrency/latency are the bounds, not R/S/C
        o.defaults(Map.ofEntries(Map.entry("name", scaledName("attachments", o, 0.1, 4)), Map.entry("profile", "TYPICAL"),
            Map.entry("scale", "0.1"), Map.entry("accounts", "4"), Map.entry("seed", "17"), Map.entry("attachment-ratio", "1.0"),
            Map.entry("media-latency-ms", "50"), Map.entry("stagger-ms", "0"), Map.entry("repeats", "3"),
            Map.entry("sweep-repeats", "1"), Map.entry("stall-sec", "20"), Map.entry("run-timeout-sec", "300"),
            Map.entry("media-ceilings", "true"), Map.entry("budget-sec", "600")));
        o.defaultsMulti("sweep", List.of("MEDIA_CONCURRENCY=4,64,256"));
        return new Plan(false, true);
      }
      case "ceilings" -> {
        o.defaults(Map.of("name", "ceilings", "repeats", "0"));
        return new Plan(true, false);
      }
      case "run" -> {
        o.defaults(Map.of("name", "run"));
        return new Plan(!o.flag("no-ceilings"), false);
      }
      case "sweep" -> {
        // without --sweep: each of the six knobs, halved/quartered and doubled/quadrupled around its default
        o.defaultsMulti("sweep", List.of("MIGRATION_ACCOUNTS_PARALLEL=1,2,8", "DYNAMODB_MAX_IN_FLIGHT=8,16,64",
            "MIGRATION_THREAD_CONCURRENCY=2,4,16,32", "MIGRATION_READ_AHEAD_BYTES=2097152,33554432", "MIGRATION_BATCH_SIZE=100,250,1000", "PG_POOL_SIZE=4,8,32"));
        o.defaults(Map.of("name", "sweep"));
        return new Plan(!o.flag("no-ceilings"), true);
      }
      default -> throw new IllegalArgumentException("unknown command " + cmd);
    }
  }

  /**
   * A preset's report name: a run scaled down (or given another account count) is named for it, so its report is
   * never mistaken for the real one.
   */
  private static String scaledName(String preset, Options o, int presetAccounts) {
    return scaledName(preset, o, 1.0, presetAccounts);
  }

  private static String scaledName(String preset, Options o, double presetScale, int presetAccounts) {
    String name = o.dbl("scale", presetScale) == presetScale ? preset : preset + "-scale" + o.str("scale", "1");
    int accounts = o.integer("accounts", presetAccounts);
    return accounts == presetAccounts ? name : name + "-" + accounts + "accounts";
  }
}
