package dev.helpdesk.loadtests.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the machine's CPU goes during a run: user + system time of the service, the harness itself (its own
 * JVM: driver, pollers, Conversations and media simulators), dynalite and PostgreSQL (each with its child
 * processes), beside the whole machine's busy time (/proc/stat). The ceilings are measured with the harness idle, so what the
 * harness takes while it polls like hundreds of apps is CPU the service and its stores did not have.
 * Linux only; a group whose process is not known (an external PostgreSQL) is left out.
 */
final class MachineCpu {
  static final String SERVICE = "service", HARNESS = "harness", DYNALITE = "dynalite", POSTGRES = "PostgreSQL",
      MACHINE = "machine busy";
  /** /proc counts CPU time in clock ticks of 10 ms. */
  private static final double TICKS_PER_SEC = 100;

  /** CPU seconds per group over a window, and the window's length. */
  record Usage(Map<String, Double> seconds, double windowSec, int cores) {
    double cores(String group) {
      Double s = seconds.get(group);
      return s == null || windowSec <= 0 ? Double.NaN : s / windowSec;
    }
  }

  private final Map<String, Optional<ProcessHandle>> groups = new LinkedHashMap<>();

  MachineCpu(ProcessHandle service, Optional<ProcessHandle> dynalite, Optional<ProcessHandle> postgres) {
    groups.put(SERVICE, Optional.of(service));
    groups.put(HARNESS, Optional.of(ProcessHandle.current()));
    groups.put(DYNALITE, dynalite);
    groups.put(POSTGRES, postgres);
  }

  /** A snapshot to measure from. */
  final class Mark {
    private final long at = System.nanoTime();
    private final Map<String, Long> ticks = ticksNow();

    Usage until() {
      Map<String, Long> now = ticksNow();
      double window = (System.nanoTime() - at) / 1e9;
      Map<String, Double> seconds = new LinkedHashMap<>();
      ticks.forEach((group, before) -> {
        Long after = now.get(group);
        if (before >= 0 && after != null && after >= 0) seconds.put(group, (after - before) / TICKS_PER_SEC);
      });
      return new Usage(seconds, window, Runtime.getRuntime().availableProcessors());
    }
  }

  Mark mark() {
    return new Mark();
  }

  private Map<String, Long> ticksNow() {
    Map<String, Long> out = new LinkedHashMap<>();
    // the harness's own process only: the service, dynalite and PostgreSQL are its descendants
    groups.forEach((group, root) -> out.put(group, root
        .map(p -> group.equals(HARNESS) ? ticks(p.pid()) : treeTicks(p)).orElse(-1L)));
    out.put(MACHINE, machineBusyTicks());
    return out;
  }

  /** A process and its live descendants (a backend that exited during the window took its ticks with it). */
  private static long treeTicks(ProcessHandle root) {
    return Stream.concat(Stream.of(root), root.descendants()).mapToLong(p -> ticks(p.pid())).filter(t -> t >= 0).sum();
  }

  private static long ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** user + nice + system + irq + softirq + steal of all cores. */
  private static long machineBusyTicks() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
      String[] f = lines.get(0).trim().split("\\s+");
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) busy += Long.parseLong(f[i]);
      return busy;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
