package dev.helpdesk.loadtests.soak;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The soak's {@code summary.md}: the committed record of a run, so its layout is kept stable across runs. */
record SoakReport(double minutes, long seed, int instanceCount, SoakClock clock) {

  void write(Path dir, int accounts, SoakVerifier verified, long partials, Map<String, AtomicInteger> faults)
      throws Exception {
    List<String> problems = verified.problems();
    Files.createDirectories(dir);
    StringBuilder md = new StringBuilder();
    md.append("# Soak, seed ").append(seed).append("\n\n");
    md.append("Command: `mvn -q -B -DskipTests test-compile exec:java -Dexec.classpathScope=test ")
        .append("-Dexec.mainClass=dev.helpdesk.loadtests.soak.Soak -Dexec.args=\"--minutes ")
        .append(fmt(minutes)).append(" --seed ").append(seed).append("\"`\n\n");
    md.append("**Result: ").append(problems.isEmpty() ? "PASSED" : "FAILED (" + problems.size() + " problems)").append("**\n\n");
    md.append("| | |\n|---|---|\n");
    md.append("| faults injected for | ").append(fmt(minutes)).append(" min, then drained; wall time ")
        .append(clock.elapsed()).append(" s |\n");
    md.append("| service instances | ").append(instanceCount).append(" child JVMs (-Xmx256m), lease TTL ")
        .append(Soak.LEASE_TTL_MS).append(" ms |\n");
    md.append("| accounts | ").append(accounts).append(" (TYPICAL 20-50 threads, DIRTY, SAMPLE, in turn); ")
        .append(verified.outcome()).append(" |\n");
    md.append("| verified exact | ").append(verified.totals()[0]).append(" completed accounts, ").append(verified.totals()[1])
        .append(" messages, ").append(verified.totals()[2]).append(" attachments copied |\n");
    md.append("| partial attachment files left | ").append(partials).append(" |\n\n");
    md.append("## Faults\n\n| fault | times |\n|---|---|\n");
    faults.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v.get()).append(" |\n"));
    md.append("\nPer completed account: thread and message counts, per-thread SHA-256 over messageId, sentAt and body bytes ")
        .append("equal to the source minus the planted bad records, 0 duplicate keys, message_count equal to the rows, ")
        .append("0 pending attachments, reconciliation ok for threads, messages and attachments. Per failed account: a reason.\n");
    md.append("\n## Problems\n\n");
    if (problems.isEmpty()) md.append("None.\n");
    else problems.forEach(p -> md.append("- ").append(p).append("\n"));
    md.append("\n## Log\n\n```\n");
    clock.lines().forEach(l -> md.append(l).append("\n"));
    md.append("```\n");
    Files.writeString(dir.resolve("summary.md"), md.toString());
    clock.note("summary: " + dir.resolve("summary.md"));
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
