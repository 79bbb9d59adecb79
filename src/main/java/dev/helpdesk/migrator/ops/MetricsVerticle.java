package dev.helpdesk.migrator.ops;

import dev.helpdesk.migrator.accounts.MigrationStatus;
import dev.helpdesk.migrator.config.Settings;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gauges that come from the database: migrations by status (the accounts table) and jobs
 * waiting or leased (migration_jobs, every instance's). They are refreshed every
 * METRICS_REFRESH_MS over a one-connection pool of their own, so a scrape never queries and an
 * exhausted service pool neither delays a scrape nor is made worse by one; a failed refresh keeps
 * the last values and {@code migrator_metrics_refresh_age_seconds} shows how old they are.
 */
public final class MetricsVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(MetricsVerticle.class);

  static final String BY_STATUS = "select migration_status, count(*) as n from accounts group by migration_status";
  static final String JOBS = """
      select count(*) filter (where state = 'queued' or lease_until is null or lease_until < now()) as waiting,
             count(*) filter (where state = 'running' and lease_until >= now()) as leased
      from migration_jobs where state in ('queued', 'running')""";

  private final Settings settings;
  private final Map<MigrationStatus, AtomicLong> byStatus = new EnumMap<>(MigrationStatus.class);
  private final AtomicLong waiting = new AtomicLong();
  private final AtomicLong leased = new AtomicLong();
  private final AtomicLong refreshedAtMs = new AtomicLong();
  private final Meters.Group meters = new Meters.Group();
  private Pool pool;
  private boolean refreshing;

  public MetricsVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1).setName("migrator-metrics").setMaxWaitQueueSize(1)
            .setConnectionTimeout((int) settings.pg().acquireTimeoutMs()).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(PgConnectOptions.fromUri(settings.pg().uri()).setReconnectAttempts(0))
        .using(vertx).build();
    for (MigrationStatus s : MigrationStatus.values()) {
      AtomicLong n = new AtomicLong();
      byStatus.put(s, n);
      meters.gauge("migrator_migrations", "accounts by migration status (all instances; refreshed every METRICS_REFRESH_MS)",
          Tags.of("status", s.wire()), n, AtomicLong::get);
    }
    meters.gauge("migrator_jobs", "migration jobs of all instances: waiting (queued or lease expired) or leased",
            Tags.of("state", "waiting"), waiting, AtomicLong::get)
        .gauge("migrator_jobs", "migration jobs of all instances: waiting (queued or lease expired) or leased",
            Tags.of("state", "leased"), leased, AtomicLong::get)
        .gauge("migrator_metrics_refresh_age_seconds", "seconds since the database-derived gauges were last refreshed",
            Tags.empty(), refreshedAtMs, t -> t.get() == 0 ? -1 : (System.currentTimeMillis() - t.get()) / 1000.0);
    vertx.setPeriodic(1, settings.ops().metricsRefreshMs(), t -> refresh());
    return Future.succeededFuture();
  }

  private void refresh() {
    if (refreshing) return;
    refreshing = true;
    long timeout = settings.pg().queryTimeoutMs();
    pool.query(BY_STATUS).execute()
        .compose(rows -> {
          Map<MigrationStatus, Long> counts = new EnumMap<>(MigrationStatus.class);
          for (Row r : rows) counts.put(MigrationStatus.fromWire(r.getString("migration_status")), r.getLong("n"));
          byStatus.forEach((s, n) -> n.set(counts.getOrDefault(s, 0L)));
          return pool.query(JOBS).execute();
        })
        .timeout(timeout, TimeUnit.MILLISECONDS)
        .onSuccess(rows -> {
          Row r = rows.iterator().next();
          waiting.set(r.getLong("waiting"));
          leased.set(r.getLong("leased"));
          refreshedAtMs.set(System.currentTimeMillis());
        })
        .onFailure(t -> log.debug("metrics refresh failed, keeping the last values: {}", t.toString()))
        .onComplete(ar -> refreshing = false);
  }

  @Override
  public Future<?> stop() {
    meters.remove();
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
