package dev.helpdesk.migrator.support;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service as its own JVM, started like production ({@code Main}, configuration from the
 * environment), so a test can {@code kill -9} it or run several instances on one database.
 */
public final class ServiceProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  public final int port;
  public final Http http;

  private ServiceProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.http = new Http(port);
  }

  /** Starts an instance with {@code config} (CONTRACT §4 names) as its environment and waits until it is ready. */
  public static ServiceProcess start(String name, JsonObject config) {
    return start(name, config, List.of());
  }

  /**
   * JVM options for an instance that lives a few seconds (a kill -9 loop): C1 only and the serial
   * collector start faster and leave the CPU to the instance that finishes the work.
   */
  public static final List<String> SHORT_LIVED = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  public static ServiceProcess start(String name, JsonObject config, List<String> jvmOptions) {
    try {
      int port = freePort();
      Path log = Files.createTempFile("migrator-" + name + "-", ".log");
      List<String> command = new java.util.ArrayList<>(List.of(javaBin(), "-Xmx256m"));
      command.addAll(jvmOptions);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.helpdesk.migrator.Main"));
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      environment(pb, config, port);
      ServiceProcess p = new ServiceProcess(pb.start(), log, port);
      try {
        p.awaitReady();
      } catch (RuntimeException notReady) {
        // nobody holds it to close it: it would outlive the test run and slow every later test
        p.kill();
        throw notReady;
      }
      return p;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void environment(ProcessBuilder pb, JsonObject config, int port) {
    Map<String, String> env = pb.environment();
    config.forEach(e -> env.put(e.getKey(), String.valueOf(e.getValue())));
    env.put("HTTP_PORT", String.valueOf(port));
    // conf/config.json says json (production); tests read the text lines unless they ask for json
    if (!config.containsKey("LOG_FORMAT")) env.put("LOG_FORMAT", "text");
    // dynalite takes any key; a test that scans logs for secrets names its own
    if (!config.containsKey("AWS_ACCESS_KEY_ID")) env.put("AWS_ACCESS_KEY_ID", "local");
    if (!config.containsKey("AWS_SECRET_ACCESS_KEY")) env.put("AWS_SECRET_ACCESS_KEY", "local");
  }

  /** An instance expected to refuse to start: its exit code and everything it printed. */
  public record Exit(int code, String output) {}

  public static Exit runToExit(String name, JsonObject config, long timeoutMs) {
    try {
      Path log = Files.createTempFile("migrator-" + name + "-", ".log");
      ProcessBuilder pb = new ProcessBuilder(javaBin(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
          "dev.helpdesk.migrator.Main").redirectErrorStream(true).redirectOutput(log.toFile());
      environment(pb, config, freePort());
      Process p = pb.start();
      if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("instance " + name + " still running after " + timeoutMs + " ms:\n" + Files.readString(log));
      }
      return new Exit(p.exitValue(), Files.readString(log));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void awaitReady() {
    // a JVM's start-up is seconds alone, but minutes on a CI machine running other suites
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("instance exited during start-up:\n" + log());
      try {
        if (http.get("/health/ready", null).status() == 200) return;
      } catch (IllegalStateException notYet) {
        // not listening yet
      }
      TestService.sleep(50);
    }
    throw new IllegalStateException("instance not ready in 120 s:\n" + log());
  }

  /** SIGKILL: no shutdown hook, no lease handed back. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public long pid() {
    return process.pid();
  }

  /** SIGTERM: the shutdown hook runs (graceful shutdown); see {@link #awaitExit}. */
  public void terminate() {
    signal("TERM");
  }

  /** The exit code once the process has ended within {@code timeoutMs}, or null if it still runs. */
  public Integer awaitExit(long timeoutMs) {
    try {
      return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** SIGSTOP: the JVM freezes mid-whatever (a GC pause or a VM migration, seen from outside); its sockets stay open. */
  public void pause() {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
      if (rc != 0) throw new IllegalStateException("kill -" + name + " " + process.pid() + " exited " + rc);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The job runner's owner id ({@code migrator-<uuid>}) as its start-up line logged it, or null before that. */
  public String instanceId() {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("job runner (\\S+) started").matcher(log());
    return m.find() ? m.group(1) : null;
  }

  /** Where this instance's stdout and stderr go. */
  public Path logFile() {
    return log;
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "<no log: " + e + ">";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) kill();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
