package dev.helpdesk.loadtests.harness;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service under test as a child JVM ({@link ServiceProcess}), so that its CPU time, heap and RSS
 * are its own and not mixed with the harness's driver, simulator and ceilings: CPU from the child's
 * OperatingSystemMXBean (cross-checked with /proc/PID/stat), peak RSS from /proc/PID/status VmHWM.
 */
final class ServiceChild implements AutoCloseable {
  private final Process process;
  private final int apiPort;
  private final int probePort;
  private final Path log;
  private final WebClient http;

  private ServiceChild(Process process, int apiPort, int probePort, Path log, WebClient http) {
    this.process = process;
    this.apiPort = apiPort;
    this.probePort = probePort;
    this.log = log;
    this.http = http;
  }

  /** The options of {@code conf/jvm.options}, which the deployed service starts with (comments and blank lines dropped). */
  static List<String> deployedJvmOptions(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(root.resolve("conf/jvm.options"))) {
      String opt = line.strip();
      if (!opt.isEmpty() && !opt.startsWith("#")) out.add(opt);
    }
    return out;
  }

  /**
   * @param env the service's configuration (CONTRACT §4 names), laid over conf/config.json by the
   *            service's own SettingsLoader
   */
  static ServiceChild start(Vertx vertx, WebClient http, Path workDir, Map<String, String> env, List<String> jvmOpts,
                            Path log) throws Exception {
    int apiPort = freePort();
    int probePort = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOpts);
    cmd.add("-cp");
    cmd.add(probeDir().toString() + File.pathSeparator + classPath());
    cmd.add(ServiceProcess.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    pb.environment().put("HTTP_PORT", Integer.toString(apiPort));
    pb.environment().put("LT_PROBE_PORT", Integer.toString(probePort));
    ServiceChild child = new ServiceChild(pb.start(), apiPort, probePort, log, http);
    child.awaitReady(90_000);
    return child;
  }

  String baseUrl() {
    return "http://127.0.0.1:" + apiPort;
  }

  long pid() {
    return process.pid();
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  Path log() {
    return log;
  }

  String probeUrl() {
    return "http://127.0.0.1:" + probePort + "/probe";
  }

  JsonObject probe() {
    return http.getAbs("http://127.0.0.1:" + probePort + "/probe").timeout(5000).send()
        .map(r -> r.bodyAsJsonObject()).await();
  }

  /** Resets the heap pools' peaks and returns the probe taken right after. */
  JsonObject resetPeaks() {
    return http.getAbs("http://127.0.0.1:" + probePort + "/probe/reset").timeout(5000).send()
        .map(r -> r.bodyAsJsonObject()).await();
  }

  /** A /proc/PID/status field in bytes (VmHWM: peak RSS; VmRSS: current), -1 if unreadable. */
  long procStatusBytes(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  private void awaitReady(long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the service exited with " + process.exitValue() + " while starting; see " + log);
      }
      try {
        int status = http.getAbs(baseUrl() + "/health/ready").timeout(1000).send().await().statusCode();
        if (status == 200) {
          probe();
          return;
        }
      } catch (Exception notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    close();
    throw new IllegalStateException("the service was not ready within " + timeoutMs + " ms; see " + log);
  }

  /**
   * SIGTERM, then SIGKILL after 5 s: the run is measured by then, and its database and directory are
   * never used again, so a slow graceful stop would only lengthen the command.
   */
  @Override
  public void close() {
    if (!process.isAlive()) return;
    long t0 = System.nanoTime();
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        Stack.log("the service did not stop within 5 s of SIGTERM: killed");
      } else {
        Stack.log(String.format("the service stopped %.1f s after SIGTERM", (System.nanoTime() - t0) / 1e9));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** LT_CLASSPATH when set (./dev sets it), else this JVM's own class path. */
  static String classPath() {
    String cp = System.getenv("LT_CLASSPATH");
    if (cp == null || cp.isBlank()) cp = System.getProperty("java.class.path");
    if (!cp.contains("migrator") && !cp.contains("classes")) {
      throw new IllegalStateException("cannot tell the service's class path: run through ./dev load-test, or set LT_CLASSPATH");
    }
    return cp;
  }

  private static Path probeDirCache;

  /** A class-path entry holding the SDK's global interceptor list, naming {@link CountingInterceptor}. */
  static synchronized Path probeDir() throws IOException {
    if (probeDirCache != null) return probeDirCache;
    Path dir = Files.createTempDirectory("lt-probe");
    Path file = dir.resolve("software/amazon/awssdk/global/handlers/execution.interceptors");
    Files.createDirectories(file.getParent());
    Files.writeString(file, CountingInterceptor.class.getName() + "\n");
    // deleteOnExit removes only empty directories, which this one is not
    Runtime.getRuntime().addShutdownHook(new Thread(() -> Scratch.deleteTree(dir)));
    probeDirCache = dir;
    return dir;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
