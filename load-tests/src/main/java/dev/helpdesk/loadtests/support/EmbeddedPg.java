package dev.helpdesk.loadtests.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One real PostgreSQL server (zonky's bundled binaries). The data directory is kept across
 * {@link #stopFast()}/{@link #crash()} and {@link #restart()} on the same port, so crash tests can
 * bring the database back under a running service; {@link #close()} deletes it.
 *
 * <p>zonky initialises the cluster with {@code -A trust -U postgres}: any password is accepted, so
 * the URIs carry {@code postgres:postgres} only because clients insist on one.
 */
public final class EmbeddedPg implements AutoCloseable {
  public static final String USER = "postgres";
  public static final String PASSWORD = "postgres";

  private static EmbeddedPg shared;
  private static final AtomicInteger DB_COUNTER = new AtomicInteger();
  private static final long STALE_MS = 10 * 60_000L;

  private final Path dataDir;
  private final Path logFile;
  private final int port;
  private EmbeddedPostgres pg;
  private boolean closed;

  private EmbeddedPg(Path dataDir, Path logFile, int port) {
    this.dataDir = dataDir;
    this.logFile = logFile;
    this.port = port;
  }

  public static EmbeddedPg start() {
    Path base = RepoRoot.targetDir("embedded-pg");
    removeStaleDataDirs(base);
    String id = UUID.randomUUID().toString().substring(0, 8);
    EmbeddedPg instance = new EmbeddedPg(base.resolve("data-" + id), base.resolve("pg-" + id + ".log"),
        Dynalite.freePort());
    instance.startServer();
    return instance;
  }

  /** One server per JVM, started on first use and closed by a shutdown hook. */
  public static synchronized EmbeddedPg shared() {
    if (shared == null || shared.closed) {
      EmbeddedPg pg = start();
      Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "embedded-pg-shared-shutdown"));
      shared = pg;
    }
    return shared;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The postmaster (first line of {@code postmaster.pid}); its backends are its descendants. Empty if unknown. */
  public java.util.Optional<ProcessHandle> postmaster() {
    try {
      long pid = Long.parseLong(java.nio.file.Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
      return ProcessHandle.of(pid);
    } catch (java.io.IOException | RuntimeException e) {
      return java.util.Optional.empty();
    }
  }

  public Path logFile() {
    return logFile;
  }

  public String adminUri() {
    return uri("postgres");
  }

  public String uri(String database) {
    return "postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/" + database;
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
  }

  /** Creates an empty database with a unique name and returns its postgresql:// URI. */
  public String createDatabase(String prefix) {
    String name = databaseName(prefix);
    try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE \"" + name + "\"");
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + name, e);
    }
    return uri(name);
  }

  /** Stops the server with {@code pg_ctl stop -m fast}: clients are disconnected, data kept. */
  public synchronized void stopFast() {
    if (pg == null) return;
    try {
      pg.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      pg = null;
    }
  }

  /**
   * Kills the postmaster and its backends with SIGKILL, as a machine crash would; the next
   * {@link #restart()} runs crash recovery.
   */
  public synchronized void crash() {
    if (pg == null) return;
    ProcessHandle.of(postmasterPid()).ifPresent(postmaster -> {
      // Backends must be gone too, or the restarted postmaster finds its old shared memory in use.
      List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
      all.add(postmaster);
      all.forEach(ProcessHandle::destroyForcibly);
      all.forEach(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).join());
    });
    // zonky's close() now fails to stop the dead server (and logs that as an error with a stack
    // trace, which would read like a test failure) and releases its directory lock
    withZonkyLogsOff(this::stopFast);
  }

  private static void withZonkyLogsOff(Runnable r) {
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EmbeddedPostgres.class);
    if (!(log instanceof ch.qos.logback.classic.Logger logback)) {
      r.run();
      return;
    }
    ch.qos.logback.classic.Level before = logback.getLevel();
    logback.setLevel(ch.qos.logback.classic.Level.OFF);
    try {
      r.run();
    } finally {
      logback.setLevel(before);
    }
  }

  /** Starts the server again on the same port and data directory (stopping it first if running). */
  public synchronized void restart() {
    stopFast();
    startServer();
  }

  public synchronized boolean isRunning() {
    return pg != null;
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    stopFast();
    deleteRecursively(dataDir);
  }

  private synchronized void startServer() {
    try {
      pg = EmbeddedPostgres.builder()
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setRegisterShutdownHook(false)
          .setPort(port)
          .setPGStartupWait(Duration.ofSeconds(30))
          .setServerConfig("max_connections", "300")
          // zonky defaults to synchronous_commit=off, which loses the last commits on a crash:
          // crash tests need a commit to be durable once acknowledged.
          .setServerConfig("synchronous_commit", "on")
          // Safe for process crashes (the OS keeps the written pages); only a host crash would lose data.
          .setServerConfig("fsync", "off")
          .setServerConfig("full_page_writes", "off")
          // lets a test tell when a row version was committed (pg_xact_commit_timestamp(xmin)),
          // e.g. that a paused owner committed nothing after another took its job over
          .setServerConfig("track_commit_timestamp", "on")
          .setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("embedded PostgreSQL did not start; see " + logFile, e);
    }
  }

  private long postmasterPid() {
    try {
      return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
    } catch (IOException e) {
      throw new UncheckedIOException("no postmaster.pid in " + dataDir, e);
    }
  }

  private static String databaseName(String prefix) {
    String clean = (prefix == null ? "db" : prefix).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (clean.isEmpty() || !Character.isLetter(clean.charAt(0))) clean = "db_" + clean;
    if (clean.length() > 40) clean = clean.substring(0, 40);
    return clean + "_" + DB_COUNTER.incrementAndGet() + "_" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Deletes data directories left by JVMs that died without closing their server (a killed test
   * fork): zonky's lock file is no longer held and is older than {@link #STALE_MS}. An orphaned
   * postmaster notices its lock file is gone and shuts itself down within a minute.
   */
  private static void removeStaleDataDirs(Path base) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, "data-*")) {
      for (Path dir : dirs) {
        Path lock = dir.resolve("epg-lock");
        if (!Files.isRegularFile(lock)
            || System.currentTimeMillis() - Files.getLastModifiedTime(lock).toMillis() < STALE_MS) {
          continue;
        }
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE); FileLock held = ch.tryLock()) {
          if (held == null) continue; // another live JVM owns it
        } catch (OverlappingFileLockException ownedHere) {
          continue;
        }
        deleteRecursively(dir);
      }
    } catch (IOException ignored) {
      // best effort
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: target/ is cleaned by mvn clean anyway
    }
  }

}
