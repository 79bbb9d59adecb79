package dev.helpdesk.migrator.db;

import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** The one PostgreSQL pool of the process and the schema migration that precedes it. */
public final class Database {
  public static final String POOL_NAME = "migrator-pg";
  public static final String JOBS_POOL_NAME = "migrator-pg-jobs";

  private Database() {}

  /**
   * The pool of everything but the migration pipeline (the API, operators' work, notifications),
   * shared by every verticle of this Vert.x instance (same name, same pool): half of PG_POOL_SIZE,
   * at least 2. Apart from the pipeline's so that the app's status polls never wait for a connection
   * behind its batches. (A quarter, 4 connections with a queue of 256, turned 500 accounts polling
   * every 200 ms into 503s for their start requests.)
   */
  public static Pool pool(Vertx vertx, Settings.Pg pg) {
    return build(vertx, pg, POOL_NAME, Math.max(2, pg.poolSize() / 2));
  }

  /** The migration pipeline's pool: PG_POOL_SIZE connections. */
  public static Pool jobsPool(Vertx vertx, Settings.Pg pg) {
    return build(vertx, pg, JOBS_POOL_NAME, pg.poolSize());
  }

  /** Acquiring a connection is bounded: an exhausted pool fails the request instead of parking it forever. */
  private static Pool build(Vertx vertx, Settings.Pg pg, String name, int size) {
    PoolOptions poolOptions = new PoolOptions()
        .setMaxSize(size)
        .setShared(true)
        .setName(name)
        // bounded (memory), but sized by PG_POOL_SIZE for both pools: a burst of requests waits its turn
        // within PG_ACQUIRE_TIMEOUT_MS instead of being refused at once
        .setMaxWaitQueueSize(pg.poolSize() * 64)
        .setConnectionTimeout((int) pg.acquireTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    // Each batch runs about ten statements: caching their plans saves a parse round-trip each.
    PgConnectOptions connect = PgConnectOptions.fromUri(pg.uri())
        .setReconnectAttempts(0)
        .setCachePreparedStatements(true)
        .setPreparedStatementCacheMaxSize(256)
        .addProperty("idle_in_transaction_session_timeout", Long.toString(pg.idleInTransactionMs()));
    return PgBuilder.pool().with(poolOptions).connectingTo(connect).using(vertx).build();
  }

  /** Creates or upgrades the schema. Blocking JDBC: run it on a worker thread. */
  public static void migrateSchema(Settings.Pg pg) {
    URI uri = URI.create(pg.uri());
    String jdbc = "jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort()) + uri.getPath()
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
      password = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
    }
    Flyway.configure()
        .dataSource(jdbc, user, password)
        .locations("classpath:db/migration")
        .connectRetries(5)
        .load()
        .migrate();
  }

  public static Future<Void> migrateSchema(Vertx vertx, Settings.Pg pg) {
    return vertx.executeBlocking(() -> {
      migrateSchema(pg);
      return null;
    });
  }
}
