package dev.helpdesk.migrator.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The process's one Prometheus registry: Vert.x's own meters (HTTP server and clients, the SQL
 * pool, the event bus, the JVM; wired in {@code Migrator.newVertx()}) and the service's, named
 * {@code migrator_*}. One registry per JVM because production runs one instance per JVM; the
 * pipeline's hooks are static calls so its classes need no handle. Names are in the README's
 * "Operations" section.
 */
public final class Meters {
  private Meters() {}

  private static final PrometheusMeterRegistry REGISTRY = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  static final String[] KINDS = {"threads", "messages", "attachments"};
  static final String[] BREAKER_STATES = {"CLOSED", "OPEN", "HALF_OPEN"};

  public static PrometheusMeterRegistry registry() {
    return REGISTRY;
  }

  /** The Prometheus text exposition of every meter. */
  public static String scrape() {
    return REGISTRY.scrape();
  }

  /**
   * A batch (or an attachment settlement) committed: rows written and dead letters recorded by
   * kind, from the committed delta of the run's counts ({@code {threads: {read, written, dead}, ...}}).
   */
  public static void committed(JsonObject delta) {
    for (String kind : KINDS) {
      JsonObject k = delta.getJsonObject(kind);
      if (k == null) continue;
      long written = k.getLong("written", 0L);
      long dead = k.getLong("dead", 0L);
      String label = kind.substring(0, kind.length() - 1); // CONTRACT's dead-letter kinds: thread, message, attachment
      if (written > 0) migrated(label).increment(written);
      if (dead > 0) deadLetters(label).increment(dead);
    }
  }

  static Counter migrated(String kind) {
    return Counter.builder("migrator_items_migrated")
        .description("rows committed by migration runs of this instance, by kind (thread, message, attachment)")
        .tag("kind", kind).register(REGISTRY);
  }

  static Counter deadLetters(String kind) {
    return Counter.builder("migrator_dead_letters")
        .description("dead letters recorded by migration runs of this instance, by kind")
        .tag("kind", kind).register(REGISTRY);
  }

  /** One phase of one run ended: how long it took, and whether it succeeded. */
  public static void phase(String phase, long startedMs, boolean succeeded) {
    Timer.builder("migrator_phase_duration")
        .description("duration of one phase of one migration run on this instance")
        .tags("phase", phase, "outcome", succeeded ? "success" : "failure")
        .publishPercentileHistogram(false)
        .register(REGISTRY)
        .record(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - startedMs)));
  }

  /** A run ended (completed, failed, or handed over / interrupted). */
  public static void run(String outcome) {
    Counter.builder("migrator_runs_ended").description("migration runs this instance stopped working on, by outcome")
        .tag("outcome", outcome).register(REGISTRY).increment();
  }

  /** A webhook notification attempt ended: {@code sent}, {@code failed} (retried later) or {@code given_up}. */
  public static void notification(String outcome) {
    Counter.builder("migrator_notifications").description("failure notification attempts of this instance, by outcome")
        .tag("outcome", outcome).register(REGISTRY).increment();
  }

  /**
   * Meters registered by one component, removed together when it stops: a restarted component
   * (tests restart the service on one JVM) registers fresh ones instead of reading a dead object.
   */
  public static final class Group {
    private final List<Meter> meters = new ArrayList<>();

    public <T> Group counter(String name, String description, Tags tags, T obj, ToDoubleFunction<T> value) {
      meters.add(FunctionCounter.builder(name, obj, value).description(description).tags(tags).register(REGISTRY));
      return this;
    }

    public <T> Group gauge(String name, String description, Tags tags, T obj, ToDoubleFunction<T> value) {
      meters.add(Gauge.builder(name, obj, value).description(description).tags(tags).strongReference(true)
          .register(REGISTRY));
      return this;
    }

    /** {@code migrator_breaker_state{breaker, state}}: 1 for the breaker's current state, 0 for the others. */
    public Group breaker(String breaker, Supplier<String> state) {
      for (String s : BREAKER_STATES) {
        gauge("migrator_breaker_state", "circuit breaker state: 1 for the current one", Tags.of("breaker", breaker, "state", s),
            state, st -> s.equals(st.get()) ? 1 : 0);
      }
      return this;
    }

    public void remove() {
      meters.forEach(REGISTRY::remove);
      meters.clear();
    }
  }

}
