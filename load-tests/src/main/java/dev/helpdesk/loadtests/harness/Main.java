package dev.helpdesk.loadtests.harness;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.support.DynamoClients;
import dev.helpdesk.loadtests.support.RepoRoot;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

/**
 * The load-test harness: {@code ./dev load-test <command> [--option value ...]}.
 *
 * <pre>
 * seed      seed a DynamoDB endpoint (--dynamo-endpoint) with a profile, deterministic from --seed
 * ceilings  stand-ins + seed, then R, S and C only
 * run       stand-ins + seed + ceilings, then --repeats runs of the workload at one setting (--set K=V)
 * sweep     as run, then each --sweep K=v1,v2,... one knob at a time around the baseline
 * quick     a sweep preset that finishes in about 3 minutes
 * whale     a run preset with one WHALE account (1,000,000 messages; --scale 0.01 for a smoke test)
 * latency   a run preset: 20 TYPICAL accounts started at once, 3 runs: the workload of the channels_only,
 *           recent_messages_only and status API targets
 * fleet     a run preset: 500 FLEET accounts (--accounts N) arriving every 20 ms, 3 runs, ceilings over all of them
 * attachments  a sweep preset: copying attachments dominates (4 TYPICAL accounts at scale 0.1, every message with
 *           attachments, media latency 50 ms); MEDIA_CONCURRENCY 4, 16 (baseline, 3 runs), 64, 256 against the
 *           bounds concurrency/latency, M (a raw client on the media URLs) and D (the disk, written the service's way)
 * </pre>
 *
 * <p>A preset only fills options not given on the command line: {@code latency --scale 0.1 --repeats 1} is its smoke
 * test. A preset run at another scale or account count is named for it, so its report is never mistaken for the real one.
 */
public final class Main {
  /** The knobs a sweep is meant for; any other key of conf/config.json is accepted too. */
  static final List<String> KNOBS = List.of("MIGRATION_ACCOUNTS_PARALLEL", "DYNAMODB_MAX_IN_FLIGHT",
      "MIGRATION_THREAD_CONCURRENCY", "MIGRATION_READ_AHEAD_BYTES", "MIGRATION_BATCH_SIZE", "PG_POOL_SIZE");

  /** The service's downloads in flight (Settings.Media.concurrency), swept by the attachments preset. */
  static final String MEDIA_KNOB = "MEDIA_CONCURRENCY";

  private Main() {}

  public static void main(String[] args) {
    int code;
    try {
      code = run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("load-test: " + e.getMessage());
      usage();
      code = 2;
    } catch (Throwable t) {
      System.err.println("load-test failed: " + t);
      t.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }

  static int run(String[] args) throws Exception {
    if (args.length == 0) throw new IllegalArgumentException("no command");
    String cmd = args[0];
    Options o = Options.parse(args, 1);
    if (cmd.equals("seed")) return seedOnly(o);
    Presets.Plan plan = Presets.apply(cmd, o);
    return session(o, plan.ceilings(), plan.sweep());
  }

  // ---------------------------------------------------------------- seed

  private static int seedOnly(Options o) throws Exception {
    String endpoint = o.str("dynamo-endpoint", null);
    if (endpoint == null) {
      throw new IllegalArgumentException("seed needs --dynamo-endpoint (e.g. http://127.0.0.1:4567 for a dynalite you started);"
          + " run, sweep and quick start their own dynalite and seed it themselves");
    }
    Profile profile = Stack.profile(o);
    long seed = o.lng("seed", 1);
    List<String> ids = Stack.accountIds(profile, seed, o.integer("accounts", 1));
    long now = o.lng("now-ms", System.currentTimeMillis());
    String media = o.str("media-base-url", "http://127.0.0.1:8090");
    try (DynamoDbAsyncClient dynamo = DynamoClients.create(endpoint, o.str("region", Stack.REGION))) {
      SourceTables tables = SourceTables.defaults();
      tables.create(dynamo).join();
      long t0 = System.nanoTime();
      SeedSummary s = DataGenerator.seed(dynamo, tables, profile, seed, ids, media, now).join();
      double sec = (System.nanoTime() - t0) / 1e9;
      System.out.printf("seeded %s (seed %d, now-ms %d, media %s) into %s in %.1f s: %d accounts, %,d threads, %,d messages, %,d attachments%n",
          profile.name(), seed, now, media, endpoint, sec, ids.size(), s.totalThreads(), s.totalMessages(), s.totalAttachments());
      System.out.println("accounts: " + String.join(",", ids));
    }
    return 0;
  }

  // ---------------------------------------------------------------- ceilings / run / sweep

  private static int session(Options o, boolean ceilings, boolean sweep) throws Exception {
    Path root = RepoRoot.find().orElseThrow(() -> new IllegalStateException("run from the project (no package.json found)"));
    Report.Session s = new Report.Session();
    s.name = o.str("name", "run").replaceAll("[^A-Za-z0-9_.-]", "_");
    s.startedAt = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    s.command = o.str("command-line", "./dev load-test ...");
    s.profile = Stack.profile(o);
    s.scale = o.dbl("scale", 1.0);
    s.seed = o.lng("seed", 1);
    s.accountIds = Stack.accountIds(s.profile, s.seed, o.integer("accounts", 4));
    s.staggerMs = o.lng("stagger-ms", 250);
    // what the service is deployed with, then this invocation's options (later ones win)
    s.jvmOpts = String.join(" ", ServiceChild.deployedJvmOptions(root)) + " " + o.str("service-jvm-opts", "-Xmx1g");
    s.mediaLatencyMs = o.lng("media-latency-ms", 0);
    s.simFromMemory = !o.str("sim-answers", "memory").equals("dynamodb");
    Map<String, String> defaults = configDefaults(root);
    for (String set : o.all("set")) {
      String[] kv = set.split("=", 2);
      if (kv.length != 2) throw new IllegalArgumentException("--set wants KEY=VALUE, got " + set);
      knownKey(defaults, kv[0]);
      s.baselineKnobs.put(kv[0], kv[1]);
    }
    s.recentDays = Integer.parseInt(s.baselineKnobs.getOrDefault("MIGRATION_RECENT_DAYS",
        defaults.getOrDefault("MIGRATION_RECENT_DAYS", "30")));
    if (sweep) {
      for (String spec : o.all("sweep")) {
        String[] kv = spec.split("=", 2);
        if (kv.length != 2) throw new IllegalArgumentException("--sweep wants KNOB=v1,v2,..., got " + spec);
        knownKey(defaults, kv[0]);
        s.baselineKnobs.putIfAbsent(kv[0], defaults.get(kv[0]));
        List<String> values = new ArrayList<>(Arrays.stream(kv[1].split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList());
        values.add(s.baselineKnobs.get(kv[0]));
        s.sweep.put(kv[0], values);
      }
    }
    Path work = Files.createDirectories(root.resolve("target/load-tests").resolve(s.startedAt + "-" + s.name));
    long t0 = System.nanoTime();
    Scratch scratch = new Scratch(o.flag("keep-attachments"));
    Vertx vertx = Vertx.vertx();
    MediaCeilings mediaCeilings = null;
    List<Integer> mediaConcurrency = List.of();
    WebClient http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(Math.max(16, s.accountIds.size() * 2 + 8)));
    try (Stack stack = Stack.start(vertx, o)) {
      Stack.log(String.format("seeding %d %s accounts (scale %s, seed %d) ...", s.accountIds.size(), s.profile.name(), s.scale, s.seed));
      long ts = System.nanoTime();
      if (o.flag("no-seed")) {
        s.notes.add("Not seeded by this invocation (--no-seed): the accounts were already in " + stack.dynamoEndpoint + ".");
      } else {
        s.seeded = stack.seed(s.profile, s.seed, s.accountIds, o.lng("now-ms", System.currentTimeMillis()));
        s.seedSec = (System.nanoTime() - ts) / 1e9;
        Stack.log(String.format("seeded %,d threads, %,d messages, %,d attachments in %.1f s", s.seeded.totalThreads(),
            s.seeded.totalMessages(), s.seeded.totalAttachments(), s.seedSec));
      }
      List<String> warmupIds = new ArrayList<>();
      for (int i = 0; i < o.integer("warmup-accounts", 0); i++) warmupIds.add(String.format("lt-warmup-%d-%04d", s.seed, i));
      if (!warmupIds.isEmpty()) {
        stack.seed(Stack.scaled(Profile.TYPICAL, 0.2), s.seed, warmupIds, System.currentTimeMillis());
        s.warmupAccounts = warmupIds.size();
      }
      if (ceilings) {
        int n = Math.min(o.integer("ceiling-accounts", 8), s.accountIds.size());
        s.ceilings = new Ceilings(vertx, stack).measure(s.accountIds.subList(0, n), ints(o.str("read-concurrency", "4,16,64")),
            ints(o.str("write-concurrency", "1,4,8")), o.integer("ceiling-batch", 500),
            o.integer("ceiling-keep-messages", 50_000), o.lng("ceiling-min-rows", 50_000), !o.flag("no-overlapped-ceiling"));
        Stack.log(String.format("R = %.0f items/s, S = %.0f rows/s, C = %.0f items/s, O = %.0f items/s", s.ceilings.r(),
            s.ceilings.s(), s.ceilings.c(), s.ceilings.o()));
      }
      if (o.flag("media-ceilings")) {
        List<Integer> mediaC = new ArrayList<>();
        if (o.str("media-ceiling-concurrency", null) != null) {
          mediaC.addAll(ints(o.str("media-ceiling-concurrency", "")));
        } else {
          // the raw client at every MEDIA_CONCURRENCY the runs use, and at 256 at least
          mediaC.add(256);
          mediaC.add(Integer.parseInt(s.baselineKnobs.getOrDefault(MEDIA_KNOB, defaults.getOrDefault(MEDIA_KNOB, "16"))));
          s.sweep.getOrDefault(MEDIA_KNOB, List.of()).forEach(v -> mediaC.add(Integer.parseInt(v)));
        }
        List<Integer> sorted = mediaC.stream().distinct().sorted().toList();
        mediaCeilings = new MediaCeilings(stack, work, scratch);
        mediaConcurrency = sorted;
        s.media = mediaCeilings.measure(s.accountIds, sorted, ints(o.str("disk-ceiling-threads", "4,16,64")),
            o.lng("media-ceiling-sec", 5) * 1000);
        Stack.log(String.format("M = %.0f attachments/s, D = %.0f files/s", s.media.m(), s.media.d()));
      }
      Runner runner = new Runner(vertx, http, stack, root, work, Arrays.stream(s.jvmOpts.trim().split("\\s+")).filter(x -> !x.isEmpty()).toList(),
          scratch);
      int repeats = o.integer("repeats", 3);
      int sweepRepeats = o.integer("sweep-repeats", repeats);
      List<Map.Entry<String, String>> points = new ArrayList<>();
      for (Map.Entry<String, List<String>> e : s.sweep.entrySet()) {
        for (String v : new java.util.LinkedHashSet<>(e.getValue())) {
          if (!v.equals(s.baselineKnobs.get(e.getKey()))) points.add(Map.entry(e.getKey(), v));
        }
      }
      // Rounds interleave the baseline with the sweep points (round i: baseline #i, then every point's #i), so a
      // machine that gets busier or quieter during the command biases no setting against the baseline.
      // --budget-sec: a sweep point that would end past the budget (counting the baseline runs still due) is
      // skipped and listed; the baseline never is.
      long budgetNs = o.lng("budget-sec", 0) * 1_000_000_000L;
      long runsStart = System.nanoTime();
      List<String> skipped = new ArrayList<>();
      for (int round = 1; round <= Math.max(repeats, sweepRepeats); round++) {
        if (round <= repeats) {
          s.runs.add(runner.run(Report.BASELINE, new LinkedHashMap<>(s.baselineKnobs), round, s.accountIds, warmupIds, o));
        }
        if (round > sweepRepeats) continue;
        for (Map.Entry<String, String> p : points) {
          long perRun = s.runs.isEmpty() ? 0 : (System.nanoTime() - runsStart) / s.runs.size();
          long baselineDue = Math.max(0, repeats - round);
          if (budgetNs > 0 && System.nanoTime() - t0 + perRun * (1 + baselineDue) > budgetNs) {
            skipped.add(p.getKey() + "=" + p.getValue() + " #" + round);
            continue;
          }
          Map<String, String> knobs = new LinkedHashMap<>(s.baselineKnobs);
          knobs.put(p.getKey(), p.getValue());
          s.runs.add(runner.run(p.getKey() + "=" + p.getValue(), knobs, round, s.accountIds, warmupIds, o));
        }
      }
      if (mediaCeilings != null && !s.runs.isEmpty()) {
        s.media = s.media.withMedia(mediaCeilings.media("after", mediaConcurrency, o.lng("media-ceiling-sec", 5) * 1000));
        Stack.log(String.format("M (best before and after the runs) = %.0f attachments/s", s.media.m()));
      }
      if (!skipped.isEmpty()) {
        s.notes.add("Skipped to stay within --budget-sec " + o.lng("budget-sec", 0) + " (the machine was slower than planned): "
            + String.join(", ", skipped) + ".");
        Stack.log("skipped for the time budget: " + skipped);
      }
    } finally {
      s.durationSec = (System.nanoTime() - t0) / 1e9;
      scratch.removeAll();
    }
    int sweepRuns = o.integer("sweep-repeats", o.integer("repeats", 3));
    if (sweepRuns < 3 && sweep) {
      s.notes.add("Sweep points other than the baseline ran " + sweepRuns + " time(s) each to keep this command short: indicative only.");
    }
    s.notes.add("Service logs of this invocation: `target/load-tests/" + work.getFileName() + "/` (not committed; the copied "
        + "attachments are emptied after each run and deleted when the invocation ends (see Scratch), unless `--keep-attachments`).");
    Path reports = Path.of(o.str("reports-dir", root.resolve("load-tests/reports").toString()));
    try {
      Report.Written written = Report.write(reports, s);
      Stack.log("report: " + written.dir().resolve("summary.md"));
      if (!written.failures().isEmpty()) {
        System.err.println("load-test: the report is incomplete (the runs' figures are in it): " + String.join("; ", written.failures()));
        return 1;
      }
      return 0;
    } catch (Exception e) {
      // the runs took minutes to hours: their figures go to stdout before the command fails
      try {
        System.out.println(Report.runsText(s));
      } catch (RuntimeException formatting) {
        System.err.println("load-test: the run table could not be formatted either (" + formatting
            + "); each run's line is in the log above");
      }
      System.err.println("load-test: the report could not be written to " + reports + ": " + e
          + " (the runs' figures are printed above)");
      return 1;
    } finally {
      http.close();
      vertx.close();
    }
  }

  private static Map<String, String> configDefaults(Path root) throws Exception {
    JsonObject json = new JsonObject(Files.readString(root.resolve("conf/config.json")));
    Map<String, String> out = new LinkedHashMap<>();
    json.forEach(e -> out.put(e.getKey(), String.valueOf(e.getValue())));
    return out;
  }

  private static void knownKey(Map<String, String> defaults, String key) {
    if (!defaults.containsKey(key)) {
      throw new IllegalArgumentException(key + " is not a key of conf/config.json (the knobs: " + KNOBS + ")");
    }
  }

  private static List<Integer> ints(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(Integer::parseInt).toList();
  }

  private static void usage() {
    System.err.println("""
        usage: ./dev load-test <command> [options]
          quick                      ~3 min: seed, ceilings, 3 baseline runs, a small sweep, report
          whale [--scale 0.01]       one WHALE account (1,000,000 messages at scale 1) under -Xmx256m, 3 runs, report
          latency [--scale 0.1]      20 TYPICAL accounts started at once, 3 runs, report (the latency and status API targets)
          fleet [--accounts 500]     FLEET accounts arriving every 20 ms, 3 runs, ceilings over all accounts, report
          attachments [--scale 0.05] attachments only, media latency 50 ms: MEDIA_CONCURRENCY 4,16,64,256 vs M, D, c/latency
          run   [--set K=V ...]      seed, ceilings, --repeats runs at one setting, report
          sweep [--sweep K=v1,v2 ...] as run, then one knob at a time around the baseline (default: all five knobs), report
          ceilings                   seed, then R, S and C only, report
          seed  --dynamo-endpoint URL [--profile P] [--accounts N] [--seed S] [--scale F] [--media-base-url URL]
        common options: --profile SAMPLE|TYPICAL|WHALE|FLEET|DIRTY  --accounts N  --seed S  --scale F
          --repeats N  --sweep-repeats N  --stagger-ms MS  --stall-sec S  --run-timeout-sec S  --name NAME
          --budget-sec S (skip sweep points that would end past S seconds; quick: 165)
          --dynamo-endpoint URL [--no-seed --sim-port 8090]  --pg-uri postgresql://...  --service-jvm-opts "-Xmx1g"
          --read-concurrency 4,16,64  --write-concurrency 1,4,8  --ceiling-accounts N  --ceiling-min-rows N  --keep-attachments
          --no-overlapped-ceiling (skip O: the same reads and writes at once, nothing between them)
          --media-latency-ms N (every media answer waits N ms, whole invocation; attachments: 50)
          --attachment-ratio F  --max-attachment-bytes N  --media-ceilings [--media-ceiling-concurrency 16,256
            --disk-ceiling-threads 4,16,64 --media-ceiling-sec 5] (M and D; on in the attachments preset)
          --warmup-accounts N (small accounts migrated before each measured window: a warm JVM instead of a cold one)
          --max-streams N (runs of up to N accounts are also watched through their progress streams; default 100)
          --sim-answers memory|dynamodb (Conversations' calls for seeded accounts answered from the seeding, the default,
            or by querying dynalite, which the service's reads keep busy)
          --set K=V  --sweep K=v1,v2  (K: any key of conf/config.json; meant for MIGRATION_ACCOUNTS_PARALLEL,
            DYNAMODB_MAX_IN_FLIGHT, MIGRATION_THREAD_CONCURRENCY, MIGRATION_READ_AHEAD_BYTES, MIGRATION_BATCH_SIZE,
            PG_POOL_SIZE)
        """);
  }
}
