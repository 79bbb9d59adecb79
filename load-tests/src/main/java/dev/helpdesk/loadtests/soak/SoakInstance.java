package dev.helpdesk.loadtests.soak;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** One service instance as a child JVM (production {@code Main}, configured by its environment) that the soak can kill, stop and restart. */
final class SoakInstance {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(3)).build();

  final String name;
  private final Map<String, String> env;
  private final Path logDir;
  private volatile Process process;
  private volatile int port;
  private volatile boolean stopped;
  private int generation;

  SoakInstance(String name, Map<String, String> env, Path logDir) {
    this.name = name;
    this.env = env;
    this.logDir = logDir;
  }

  /** Starts (or restarts) the JVM and waits until it is ready; false when it did not come up in 90 s. */
  synchronized boolean start() {
    try {
      port = freePort();
      Path log = logDir.resolve(name + "-" + (generation++) + ".log");
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-cp", classPath(), "dev.helpdesk.migrator.Main"));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().putAll(env);
      pb.environment().put("HTTP_PORT", Integer.toString(port));
      process = pb.start();
      stopped = false;
      long deadline = System.currentTimeMillis() + 90_000;
      while (System.currentTimeMillis() < deadline) {
        if (!process.isAlive()) return false;
        if (status("GET", "/health/ready", null, null) == 200) return true;
        Thread.sleep(100);
      }
      return false;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  boolean alive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Alive and not SIGSTOPped: worth sending a request to. */
  boolean serving() {
    return alive() && !stopped;
  }

  long pid() {
    return process.pid();
  }

  void kill9() {
    Process p = process;
    if (p == null) return;
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void sigstop() {
    stopped = true;
    signal("STOP");
  }

  void sigcont() {
    signal("CONT");
    stopped = false;
  }

  /** SIGTERM and wait: the instance hands its jobs back. */
  void terminate() {
    Process p = process;
    if (p == null) return;
    if (stopped) sigcont();
    p.destroy();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) kill9();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void signal(String sig) {
    try {
      new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The status of one request, or -1 when the instance could not be reached. */
  int status(String method, String path, String token, String jsonBody) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(20))
          .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
      if (token != null) b.header("Authorization", "Bearer " + token);
      if (jsonBody != null) b.header("Content-Type", "application/json");
      return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * The class path for the child: under {@code mvn exec:java} java.class.path is Maven's own
   * launcher, and the project's classes are on the context class loader.
   */
  static String classPath() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    List<String> entries = new ArrayList<>();
    while (cl != null) {
      if (cl instanceof URLClassLoader u) {
        for (URL url : u.getURLs()) {
          try {
            entries.add(Path.of(url.toURI()).toString());
          } catch (Exception ignored) {
            // not a file
          }
        }
      }
      cl = cl.getParent();
    }
    boolean hasService = entries.stream().anyMatch(e -> Files.isDirectory(Path.of(e).resolve("dev/helpdesk/migrator"))
        || e.endsWith(".jar"));
    return hasService && !entries.isEmpty() ? entries.stream().distinct().collect(Collectors.joining(java.io.File.pathSeparator))
        : System.getProperty("java.class.path");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
