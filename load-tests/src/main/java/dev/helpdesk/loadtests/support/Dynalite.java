package dev.helpdesk.loadtests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

/**
 * A dynalite process (the npm package under node_modules) standing in for DynamoDB.
 * Its output goes to target/dynalite-PORT.log so test consoles stay readable.
 */
public final class Dynalite implements AutoCloseable {
  private static final long START_TIMEOUT_MS = 15_000;

  private final Process process;
  private final int port;
  private final Path logFile;
  private final Thread shutdownHook;
  private volatile DynamoDbAsyncClient client;
  private volatile boolean closed;

  private Dynalite(Process process, int port, Path logFile) {
    this.process = process;
    this.port = port;
    this.logFile = logFile;
    this.shutdownHook = new Thread(this::stopProcess, "dynalite-" + port + "-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  public static Dynalite start() {
    Path root = dynaliteRoot();
    Path cli = root.resolve("node_modules/dynalite/cli.js");
    // A free port found this way can be taken before dynalite binds it; retry a few times.
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = freePort();
      Path log = RepoRoot.targetDir("dynalite").resolve("dynalite-" + port + ".log");
      Process p = spawn(root, cli, port, log);
      try {
        waitUntilListening(p, port, log);
        return new Dynalite(p, port, log);
      } catch (IllegalStateException e) {
        killTree(p);
        last = e;
      }
    }
    throw last;
  }

  /** The dynalite process (its node process and any it spawned are its descendants). */
  public ProcessHandle process() {
    return process.toHandle();
  }

  public int port() {
    return port;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public Path logFile() {
    return logFile;
  }

  /** One shared client for this instance, closed with it. */
  public DynamoDbAsyncClient client() {
    DynamoDbAsyncClient c = client;
    if (c == null) {
      synchronized (this) {
        if (client == null) client = DynamoClients.create(endpoint(), "us-east-1");
        c = client;
      }
    }
    return c;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    DynamoDbAsyncClient c = client;
    if (c != null) c.close();
    stopProcess();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook is running or about to; nothing left to do
    }
  }

  private void stopProcess() {
    killTree(process);
  }

  static void killTree(Process p) {
    List<ProcessHandle> children = p.descendants().toList();
    children.forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        children.forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  private static Path dynaliteRoot() {
    Path root = RepoRoot.find().orElseThrow(() -> new IllegalStateException(
        "no package.json found at or above " + System.getProperty("user.dir")
            + "; run `npm ci` in the project root first"));
    if (!Files.isRegularFile(root.resolve("node_modules/dynalite/cli.js"))) {
      throw new IllegalStateException("dynalite is not installed: run `npm ci` in " + root + " first");
    }
    return root;
  }

  private static Process spawn(Path root, Path cli, int port, Path log) {
    String node = System.getenv().getOrDefault("NODE_BINARY", "node");
    // the guard keeps dynalite alive when a client is killed mid-request (see the script)
    Path guard = root.resolve("load-tests/dynalite/survive-aborted-requests.js");
    ProcessBuilder pb = new ProcessBuilder(node, "--require", guard.toString(), cli.toString(),
        "--host", "127.0.0.1", "--port", Integer.toString(port),
        "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
        .directory(root.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      return pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start `" + node + "` (is Node.js installed?)", e);
    }
  }

  private static void waitUntilListening(Process p, int port, Path log) {
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
    while (System.currentTimeMillis() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("dynalite exited with " + p.exitValue() + "; see " + log);
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    throw new IllegalStateException("dynalite did not listen on port " + port + " within "
        + START_TIMEOUT_MS + " ms; see " + log);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for dynalite", e);
    }
  }
}
