package dev.helpdesk.loadtests.harness;

import static dev.helpdesk.loadtests.harness.Histograms.max;
import static dev.helpdesk.loadtests.harness.Histograms.median;
import static dev.helpdesk.loadtests.harness.Histograms.min;
import static dev.helpdesk.loadtests.harness.RunTable.f;
import static dev.helpdesk.loadtests.harness.RunTable.knobText;
import static dev.helpdesk.loadtests.harness.RunTable.statuses;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** summary.md: every figure of an invocation in Markdown, medians over repeats, one section per part of the work. */
final class Summary {
  private final Report.Session s;
  private final Results res;
  private final List<RunResult> base;
  private final List<Targets.Check> targets;
  private final StringBuilder md = new StringBuilder();

  private Summary(Results res) {
    this.s = res.session;
    this.res = res;
    this.base = res.base;
    this.targets = Targets.check(res);
  }

  /** The whole summary; {@code charts} are the chart files written beside it. */
  static String markdown(Results res, List<String> charts) {
    return new Summary(res).build(charts);
  }

  /** When the full summary cannot be built: the reason, the session's settings and every run's figures. */
  static String fallback(Report.Session s, Exception e, List<String> charts, List<String> failures) {
    StringBuilder md = new StringBuilder();
    md.append("# Load test `").append(s.name).append("` — ").append(s.startedAt).append(" (incomplete report)\n\n");
    md.append("The summary could not be built: `").append(e).append("`. The figures of every run follow; ")
        .append("medians, checks and sweep rankings are missing.\n\n");
    md.append("Command: `").append(s.command).append("`  \nBaseline settings: ").append(knobText(s.baselineKnobs)).append("\n\n");
    if (s.ceilings != null) {
      md.append(String.format(Locale.ROOT, "R = %s items/s, S = %s rows/s, C = %s items/s.%n%n", f(s.ceilings.r()), f(s.ceilings.s()),
          f(s.ceilings.c())));
    }
    md.append(RunTable.of(s.runs, false)).append('\n');
    md.append("Final statuses: ").append(statuses(s.runs)).append("\n\n");
    failures.forEach(x -> md.append("- not written: ").append(x).append('\n'));
    charts.forEach(c -> md.append("\n![").append(c).append("](").append(c).append(")\n"));
    return md.toString();
  }

  private String build(List<String> charts) {
    header();
    headline();
    if (s.media != null) md.append(AttachmentsSection.markdown(res));
    workload();
    if (s.ceilings != null) {
      ceilings();
      overlapped();
    }
    if (!base.isEmpty()) baseline();
    md.append(Targets.section(targets, base.size()));
    if (!s.sweep.isEmpty()) sweep();
    if (!charts.isEmpty()) {
      md.append("## Charts\n\n");
      charts.forEach(c -> md.append("![").append(c).append("](").append(c).append(")\n\n"));
    }
    md.append(METHOD);
    return md.toString();
  }

  private void header() {
    md.append("# Load test `").append(s.name).append("` — ").append(s.startedAt).append("\n\n");
    md.append("> **Noisy numbers.** Measured on a shared machine with ").append(Runtime.getRuntime().availableProcessors())
        .append(" cores while other test suites were running; dynalite (one Node process), PostgreSQL, the harness and the service ")
        .append("all share those cores. These are benchmarks, not tests: compare runs made on the same machine in the same ")
        .append("conditions, and trust medians over spreads. A figure above C would mean the measurement is wrong.\n\n");
    md.append("Command: `").append(s.command).append("`  \n");
    md.append(String.format(Locale.ROOT, "Wall time: %.0f s. Java %s, service JVM options `%s`.%n%n",
        s.durationSec, System.getProperty("java.version"), s.jvmOpts));
    if (s.mediaLatencyMs > 0) {
      md.append("Media latency (`--media-latency-ms`): every answer of the simulated media service waited **").append(s.mediaLatencyMs)
          .append(" ms** before its first byte, throughout this invocation (runs and ceilings alike).\n\n");
    }
    s.notes.forEach(n -> md.append("- ").append(n).append('\n'));
    if (!s.notes.isEmpty()) md.append('\n');
  }

  private void headline() {
    md.append("## Headline\n\n");
    if (!base.isEmpty()) {
      md.append(String.format(Locale.ROOT, "- Baseline (%s), median of %d runs: **%s messages/s** end to end; time to `channels_only` p50 %s ms, "
              + "to `completed` p50 %s ms; status API p99 %s ms; %s ms CPU per message; peak heap %s MB; RSS %s MB.%n",
          knobText(s.baselineKnobs), base.size(), f(median(base, RunResult::messagesPerSec)),
          f(median(base, r -> r.pct(r.toChannelsMs, 50))), f(median(base, r -> r.pct(r.toCompletedMs, 50))),
          f(median(base, r -> r.statusMs(99))), f(median(base, RunResult::cpuMsPerMessage)),
          f(median(base, r -> r.peakHeapMb)), f(median(base, r -> r.rssHwmMb))));
      md.append("- Final statuses: ").append(statuses(base)).append(".\n");
      md.append(Targets.headline(targets));
    }
    if (s.ceilings != null) {
      double e2e = median(base, RunResult::itemsPerSec);
      md.append(String.format(Locale.ROOT, "- Ceilings: R = %s items/s, S = %s rows/s, C = %s items/s (≈ %s messages/s)%s.%n",
          f(s.ceilings.r()), f(s.ceilings.s()), f(s.ceilings.c()), f(s.ceilings.c() * res.msgShare),
          base.isEmpty() || Double.isNaN(e2e) || e2e == 0 ? "" : String.format(Locale.ROOT, "; end to end reaches %.0f %% of C%s",
              100 * e2e / s.ceilings.c(), e2e > s.ceilings.c() ? " — ABOVE C: the measurement is wrong" : "")));
    }
    if (s.media != null) {
      md.append(String.format(Locale.ROOT, "- Attachments: M = %s attachments/s (media service, bare client), D = %s files/s (disk); "
          + "the service at the baseline: %s attachments/s over the downloads' window (see the Attachments section).%n",
          f(s.media.m()), f(s.media.d()), f(median(base, RunResult::attachmentsPerMediaSec))));
    }
    if (!s.sweep.isEmpty()) {
      md.append("- Sweep, best value per knob: ").append(knobText(res.bestPerKnob()));
      if (res.anyMessages && base.size() > 1) {
        md.append(" (baseline spread ").append(f(min(base, res.sweepFigure()))).append("–")
            .append(f(max(base, res.sweepFigure()))).append(res.attachmentsFocus ? " attachments/s" : " messages/s")
            .append(": differences inside it are noise)");
      }
      md.append(".\n");
    }
    md.append('\n');
  }

  private void workload() {
    md.append("## Workload\n\n");
    if (s.seeded == null) return;
    md.append(String.format(Locale.ROOT, "Profile `%s` (threads per account %d–%d, %.2f messages per thread, attachment ratio %.2f, "
            + "scale %.3g), seed %d, %d accounts, seeded into DynamoDB in %.1f s: **%,d threads, %,d messages, %,d attachments**. "
            + "Arrivals every %d ms; even accounts started by the app (`start-migration`, JWT), odd ones by Conversations "
            + "(`/v1/migrate`); each polled every 200 ms like the app (and watched through its progress stream when there are "
            + "at most `--max-streams` accounts, 100 by default).%n%n",
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
    md.append(s.simFromMemory
        ? "The Conversations simulator answered `migration-check` and `channels-to-migrate` for the seeded accounts from the "
            + "seeding (as Conversations answers from its own store), not by querying dynalite, which the service's reads keep "
            + "busy (`--sim-answers dynamodb` for that).\n\n"
        : "The Conversations simulator answered `migration-check` and `channels-to-migrate` by querying dynalite "
            + "(`--sim-answers dynamodb`): those answers waited behind the service's own reads.\n\n");
  }

  private void ceilings() {
    Ceilings.Result c = s.ceilings;
    md.append("## Ceilings (same run, same data)\n\n");
    md.append("| measure | concurrency | items | requests | seconds | rate | client CPU µs/item |\n|---|---|---|---|---|---|---|\n");
    c.reads().forEach(t -> md.append(String.format(Locale.ROOT, "| R read | k=%d | %,d | %,d Query | %.2f | %,.0f items/s | %.1f |%n", t.concurrency(), t.items(), t.requests(), t.seconds(), t.rate(), t.cpuMicrosPerItem())));
    c.writes().forEach(t -> md.append(String.format(Locale.ROOT, "| S write | c=%d | %,d | %,d upserts | %.2f | %,.0f rows/s | %.1f |%n", t.concurrency(), t.items(), t.requests(), t.seconds(), t.rate(), t.cpuMicrosPerItem())));
    Ceilings.Trial o = c.overlapped();
    if (o != null) {
      md.append(String.format(Locale.ROOT, "| O both at once | k=%d, c=%d | %,d | %,d Query | %.2f | %,.0f items/s | %.1f |%n", o.concurrency(),
          c.bestWrite() == null ? 0 : c.bestWrite().concurrency(), o.items(), o.requests(), o.seconds(), o.rate(), o.cpuMicrosPerItem()));
    }
    md.append(String.format(Locale.ROOT, "%n**R = %,.0f items/s** (k=%s), **S = %,.0f rows/s** (c=%s, %d rows per statement), "
            + "**C = R·S/(R+S) = %,.0f items/s** (≈ %,.0f messages/s at this workload's %.0f %% messages).%n%n",
        c.r(), c.bestRead() == null ? "-" : c.bestRead().concurrency(), c.s(), c.bestWrite() == null ? "-" : c.bestWrite().concurrency(),
        c.batchSize(), c.c(), c.c() * res.msgShare, res.msgShare * 100));
    md.append("R and S were each measured once more at their best concurrency after O (the last R and S rows above), and the "
        + "faster trial of each is kept: measured once, a ceiling can fall in a slow moment of a shared machine, and a low "
        + "ceiling flatters every ratio to it.\n\n");
    md.append(String.format(Locale.ROOT, "S wrote rows made of the %,d threads and %,d messages R read (repeated with suffixed keys when fewer than the row target). "
            + "R's Query count is the least a reader of this data needs: compare it with the service's DynamoDB requests per message below.%n%n",
        c.sampleThreads(), c.sampleMessages()));
  }

  /** O beside C and the end-to-end rate: how much of what these clients reach here the pipeline's own work leaves. */
  private void overlapped() {
    Ceilings.Trial o = s.ceilings.overlapped();
    if (o == null) return;
    double e2e = median(base, RunResult::itemsPerSec);
    md.append(String.format(Locale.ROOT, "**O = %,.0f items/s** (%,d items in %.2f s, k=%d, c=%d): R's reads and S's writes at once, "
            + "with nothing between them but building each batch's rows (no transaction, checkpoint, progress, dead letters or "
            + "attachments) = %.2f × C.%s%n%n",
        o.rate(), o.items(), o.seconds(), o.concurrency(), s.ceilings.bestWrite() == null ? 0 : s.ceilings.bestWrite().concurrency(),
        o.rate() / s.ceilings.c(),
        base.isEmpty() || Double.isNaN(e2e) || e2e == 0 ? "" : String.format(Locale.ROOT,
            " End to end (median) = %.2f × O: the share of it the pipeline's own work leaves.", e2e / o.rate())));
    double serviceCpu = median(base, RunResult::cpuMsPerMessage) * 1000;
    if (!base.isEmpty() && !Double.isNaN(serviceCpu) && !Double.isNaN(o.cpuMicrosPerItem())) {
      md.append(String.format(Locale.ROOT, "Client CPU: %.1f µs per item for R (the SDK's requests and responses), %.1f for S (the "
              + "PostgreSQL client; rows built before the clock), %.1f for O (both, rows built); the service spent %.1f µs per "
              + "message (median; its JVM runs C1 only, the harness C2, and it does everything O leaves out).%n%n",
          s.ceilings.bestRead() == null ? Double.NaN : s.ceilings.bestRead().cpuMicrosPerItem(),
          s.ceilings.bestWrite() == null ? Double.NaN : s.ceilings.bestWrite().cpuMicrosPerItem(), o.cpuMicrosPerItem(), serviceCpu));
    }
    MachineCpu.Usage m = s.ceilings.overlappedMachine();
    List<RunResult> measured = base.stream().filter(r -> r.machineCpu != null && r.messages + r.threads > 0).toList();
    if (m != null && !measured.isEmpty()) {
      md.append(String.format(Locale.ROOT, "The stores' CPU per item: dynalite %.1f µs during O, %.1f in the runs (median); PostgreSQL %.1f "
              + "during O, %.1f in the runs. What the runs spend beyond O there is the pipeline's work in the stores (transactions, "
              + "checkpoints, counts, look-ups), not its own JVM's.%n%n",
          storeMicros(m, MachineCpu.DYNALITE, o.items()), median(measured, r -> storeMicros(r.machineCpu, MachineCpu.DYNALITE, r.messages + r.threads)),
          storeMicros(m, MachineCpu.POSTGRES, o.items()), median(measured, r -> storeMicros(r.machineCpu, MachineCpu.POSTGRES, r.messages + r.threads))));
    }
  }

  private static double storeMicros(MachineCpu.Usage u, String group, long items) {
    Double sec = u.seconds().get(group);
    return sec == null || items <= 0 ? Double.NaN : sec * 1e6 / items;
  }

  private void baseline() {
    md.append("## Baseline: ").append(base.size()).append(" runs at ").append(knobText(s.baselineKnobs)).append("\n\n");
    md.append(RunTable.of(base, true));
    md.append('\n');
    md.append("Final statuses seen: ").append(statuses(base)).append("\n\n");
    md.append("CPU cross-check, /proc/PID/stat user+system of the service (10 ms ticks) vs its OperatingSystemMXBean: ")
        .append(base.stream().map(r -> f(r.cpuProcSec) + " s vs " + f(r.cpuSec) + " s").collect(Collectors.joining("; ")))
        .append(". Attachments copied per run: ")
        .append(base.stream().map(r -> String.format(Locale.ROOT, "%,d", r.attachments)).collect(Collectors.joining(", ")))
        .append(".\n\n");
    machineCpu();
    if (s.accountIds.size() < 100) {
      md.append("With ").append(s.accountIds.size()).append(" accounts per run, the p95 and p99 of the times to a status are ")
          .append("the slowest account's; they get meaning with more accounts (`--accounts`).\n\n");
    }
    if (!res.anyMessages) {
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
    md.append(Waits.section(base));
    if (s.ceilings != null) checkAgainstC();
  }

  /**
   * The machine's CPU per process group, in cores: how much of it the service had, and what else took it. Every
   * run, sweep points included, so that a run far slower than its neighbours shows who was busy or idle then.
   */
  private void machineCpu() {
    List<RunResult> measured = s.runs.stream().filter(r -> r.machineCpu != null).toList();
    if (measured.isEmpty()) return;
    List<String> groups = List.of(MachineCpu.SERVICE, MachineCpu.HARNESS, MachineCpu.DYNALITE, MachineCpu.POSTGRES);
    int cores = measured.get(0).machineCpu.cores();
    md.append("Where the machine's CPU went while each run's migrations ran, in cores of ").append(cores)
        .append(" (user + system time from /proc; dynalite and PostgreSQL with their child processes; the harness is its own JVM: ")
        .append("the driver with its pollers and the Conversations and media simulators; rest: everything else the machine ran):\n\n");
    md.append("| run | ").append(String.join(" | ", groups)).append(" | rest | machine busy |\n|---|---|---|---|---|---|---|\n");
    for (RunResult r : measured) {
      MachineCpu.Usage u = r.machineCpu;
      double known = groups.stream().mapToDouble(g -> u.cores(g)).filter(x -> !Double.isNaN(x)).sum();
      double busy = u.cores(MachineCpu.MACHINE);
      md.append("| ").append(r.label).append(" #").append(r.repeat);
      groups.forEach(g -> md.append(" | ").append(cores2(u.cores(g))));
      md.append(" | ").append(cores2(busy - known)).append(" | ").append(cores2(busy)).append(" |\n");
    }
    md.append("\nThe ceilings R and S were measured with the harness idle: what it takes here is CPU the service, dynalite and ")
        .append("PostgreSQL did not have.\n\n");
  }

  private static String cores2(double x) {
    return Double.isNaN(x) ? "n/a" : String.format(Locale.ROOT, "%.2f", x);
  }

  private void checkAgainstC() {
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

  private void sweep() {
    md.append("## Sweep (one setting at a time around the baseline)\n\n");
    md.append(res.attachmentsFocus ? "Ranked by median attachments/s over the downloads' window (see the Attachments section).\n\n"
        : res.anyMessages ? "Ranked by median end-to-end messages/s.\n\n"
        : "No messages moved, so settings are ranked by median time to `channels_only` (p50, lower is better).\n\n");
    if (res.anyMessages && base.size() > 1) {
      md.append(String.format(Locale.ROOT, "The baseline's own spread over %d runs was %s–%s %s: a sweep point inside that "
          + "range cannot be told apart from the baseline on this machine.%n%n", base.size(),
          f(min(base, res.sweepFigure())), f(max(base, res.sweepFigure())), res.attachmentsFocus ? "attachments/s" : "messages/s"));
    }
    Map<String, String> bestPerKnob = res.bestPerKnob();
    Map<String, String> best = new LinkedHashMap<>();
    for (String knob : s.sweep.keySet()) {
      md.append("### ").append(knob).append("\n\n");
      md.append("| value | runs | msg/s (median) | att/s (median) | to channels_only p50 ms | to completed p50 ms | status API p99 ms | CPU ms/msg | peak heap MB | statuses |\n");
      md.append("|---|---|---|---|---|---|---|---|---|---|\n");
      String bestValue = bestPerKnob.get(knob);
      for (String v : res.sweepValues(knob)) {
        List<RunResult> g = res.group(knob, v);
        md.append(String.format(Locale.ROOT, "| %s%s | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n", v,
            v.equals(s.baselineKnobs.get(knob)) ? " (baseline)" : "", g.size(),
            f(median(g, RunResult::messagesPerSec)), f(median(g, RunResult::attachmentsPerSec)), f(median(g, r -> r.pct(r.toChannelsMs, 50))),
            f(median(g, r -> r.pct(r.toCompletedMs, 50))), f(median(g, r -> r.statusMs(99))),
            f(median(g, RunResult::cpuMsPerMessage)), f(median(g, r -> r.peakHeapMb)), statuses(g)));
      }
      if (bestValue != null) best.put(knob, bestValue);
      md.append("\nBest: **").append(bestValue == null ? "n/a" : bestValue).append("**\n\n");
    }
    md.append("**Best setting found per knob**: ").append(knobText(best))
        .append(". Knobs were varied one at a time, so their combination was not itself measured; confirm it with ")
        .append("`./dev load-test run --set ...` before adopting it. Sweep points with one run are indicative only.\n\n");
    List<RunResult> others = s.runs.stream().filter(r -> !r.label.equals(Report.BASELINE)).toList();
    if (!others.isEmpty()) {
      md.append("All sweep runs:\n\n").append(RunTable.of(others, false)).append('\n');
    }
  }

  private static final String METHOD = """
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
      """;
}
