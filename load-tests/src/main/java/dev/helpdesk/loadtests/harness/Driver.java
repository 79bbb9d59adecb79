package dev.helpdesk.loadtests.harness;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Starts migrations the way the app and Conversations do and watches them the way the app does.
 * Account i arrives at i·stagger: {@code POST /v1/accounts} (Conversations' token), then even
 * accounts {@code POST /v1/accounts/{id}/start-migration} with a mobile JWT, odd ones
 * {@code POST /v1/migrate} with Conversations' token. From its start request on, each account is
 * polled with {@code GET /v1/accounts/{id}} every 200 ms (a poll is skipped while the previous one
 * is unanswered, as an app would), until it is completed, failed or not_needed, until neither its
 * status nor its progress moved for {@code stallMs} ("stalled"), or until the run's deadline. Each
 * account's progress stream ({@link StatusStream}) is watched too, for runs of up to {@code maxStreams}
 * accounts: a status counts as reached when the first of the two shows it (the status API's latency
 * comes from the polls only). Larger runs (the fleet) are watched by polls alone, as before streams
 * existed, so that their load stays comparable.
 *
 * <p>Everything runs on one event loop of the harness's Vert.x, so its state needs no locks.
 */
final class Driver {
  static final List<String> RANKED = List.of("not_started", "migrating", "channels_only", "recent_messages_only", "completed");

  static final class Account {
    final String id;
    final String via;
    long startNs;
    /** wall clock of startNs, to line the driver's times up with the service's log */
    long startWallMs;
    /** when the start request was answered */
    long acceptedNs;
    long lastChangeNs;
    long lastPollNs;
    String status = "not_started";
    String phase;
    String failureReason;
    String startAnswer;
    long messages;
    long threads;
    long attachments;
    long deadLetters;
    final long[] reachedNs = new long[RANKED.size()];
    final long[] reachedWallMs = new long[RANKED.size()];
    boolean done;
    boolean stalled;
    boolean timedOut;
    boolean inFlight;
    String signature = "";

    Account(String id, String via) {
      this.id = id;
      this.via = via;
    }

    double msTo(String status) {
      long t = reachedNs[RANKED.indexOf(status)];
      return t == 0 ? Double.NaN : (t - startNs) / 1e6;
    }

    /** Completion if reached, else the last time the status or the progress moved. */
    long endNs() {
      long done = reachedNs[RANKED.indexOf("completed")];
      return done != 0 ? done : lastChangeNs;
    }
  }

  record Outcome(List<Account> accounts, Histogram statusLatencyUs, long statusErrors, long firstStartNs,
                 List<double[]> heapSamples, int streamsRefused) {}

  private final Vertx vertx;
  private final WebClient http;
  private final String base;
  private final String callerToken;
  private final java.util.function.Function<String, String> jwtFor;
  private final String probeUrl;
  private final int maxStreams;

  Driver(Vertx vertx, WebClient http, String base, String callerToken, java.util.function.Function<String, String> jwtFor,
         String probeUrl, int maxStreams) {
    this.vertx = vertx;
    this.http = http;
    this.base = base;
    this.callerToken = callerToken;
    this.jwtFor = jwtFor;
    this.probeUrl = probeUrl;
    this.maxStreams = maxStreams;
  }

  Outcome run(List<String> accountIds, long staggerMs, long pollMs, long stallMs, long timeoutMs) {
    List<Account> accounts = new ArrayList<>();
    for (int i = 0; i < accountIds.size(); i++) accounts.add(new Account(accountIds.get(i), i % 2 == 0 ? "app" : "conversations"));
    Histogram latency = Histograms.create();
    long[] errors = {0};
    List<double[]> heap = new ArrayList<>();
    Promise<Void> finished = Promise.promise();
    Context ctx = vertx.getOrCreateContext();
    long t0 = System.nanoTime();
    StatusStream streams = accounts.size() <= maxStreams ? new StatusStream(vertx, base, accounts.size()) : null;
    ctx.runOnContext(v -> {
      for (int i = 0; i < accounts.size(); i++) {
        Account a = accounts.get(i);
        vertx.setTimer(Math.max(1, i * staggerMs), id -> start(a, pollMs, latency, errors, streams));
      }
      long[] sampler = {0};
      sampler[0] = vertx.setPeriodic(500, id -> http.getAbs(probeUrl).timeout(2000).send().onSuccess(r -> {
        JsonObject p = r.bodyAsJsonObject();
        long afterGc = p.getLong("heapAfterGc", -1L);
        heap.add(new double[] {(System.nanoTime() - t0) / 1e9, p.getLong("heapUsed") / 1048576.0,
            afterGc < 0 ? Double.NaN : afterGc / 1048576.0});
      }));
      vertx.setPeriodic(100, id -> {
        long now = System.nanoTime();
        // stalled: nothing moved anywhere for stallMs (a queued account waiting for a slot is not stalled
        // while the others progress)
        long lastMove = accounts.stream().mapToLong(a -> a.lastChangeNs).max().orElse(0);
        boolean allStarted = accounts.stream().allMatch(a -> a.done || a.startNs != 0);
        for (Account a : accounts) {
          if (a.done || a.startNs == 0) continue;
          if (allStarted && now - lastMove > stallMs * 1_000_000L) {
            a.stalled = true;
            a.done = true;
          } else if (now - t0 > timeoutMs * 1_000_000L) {
            a.timedOut = true;
            a.done = true;
          }
        }
        boolean unstarted = accounts.stream().anyMatch(a -> !a.done && a.startNs == 0);
        if (unstarted && now - t0 > timeoutMs * 1_000_000L) {
          accounts.stream().filter(a -> a.startNs == 0).forEach(a -> {
            a.done = true;
            a.timedOut = true;
          });
        }
        if (accounts.stream().allMatch(a -> a.done)) {
          vertx.cancelTimer(id);
          vertx.cancelTimer(sampler[0]);
          finished.tryComplete();
        }
      });
    });
    finished.future().await();
    if (streams != null) streams.close().await();
    long first = accounts.stream().mapToLong(a -> a.startNs).filter(x -> x != 0).min().orElse(t0);
    return new Outcome(accounts, latency, errors[0], first, heap, streams == null ? -1 : streams.refused());
  }

  private void start(Account a, long pollMs, Histogram latency, long[] errors, StatusStream streams) {
    http.postAbs(base + "/v1/accounts").bearerTokenAuthentication(callerToken).timeout(30_000)
        .sendJsonObject(new JsonObject().put("accountId", a.id).put("name", "Load test " + a.id))
        .compose(created -> {
          a.startNs = System.nanoTime();
          a.startWallMs = System.currentTimeMillis();
          a.lastChangeNs = a.startNs;
          return a.via.equals("app")
              ? http.postAbs(base + "/v1/accounts/" + a.id + "/start-migration").bearerTokenAuthentication(jwtFor.apply(a.id))
                  .timeout(30_000).send()
              : http.postAbs(base + "/v1/migrate").bearerTokenAuthentication(callerToken).timeout(30_000)
                  .sendJsonObject(new JsonObject().put("accountId", a.id).put("force", false));
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            a.startAnswer = "error: " + ar.cause();
            a.done = true;
            return;
          }
          HttpResponse<Buffer> r = ar.result();
          a.acceptedNs = System.nanoTime();
          a.startAnswer = r.statusCode() + " " + r.bodyAsString();
          if (r.statusCode() != 202) {
            a.done = true;
            return;
          }
          if (streams != null) {
            streams.watch(a.id, jwtFor.apply(a.id), acc -> {
              if (!a.done) observe(a, acc, System.nanoTime());
            });
          }
          vertx.setPeriodic(pollMs, id -> {
            if (a.done) {
              vertx.cancelTimer(id);
              return;
            }
            if (!a.inFlight) poll(a, latency, errors);
          });
        });
  }

  private void poll(Account a, Histogram latency, long[] errors) {
    a.inFlight = true;
    long sent = System.nanoTime();
    http.getAbs(base + "/v1/accounts/" + a.id).bearerTokenAuthentication(jwtFor.apply(a.id)).timeout(30_000).send().onComplete(ar -> {
      a.inFlight = false;
      long now = System.nanoTime();
      if (ar.failed() || ar.result().statusCode() != 200) {
        errors[0]++;
        return;
      }
      latency.recordValue(Math.max(1, (now - sent) / 1000));
      if (a.done) return;
      observe(a, ar.result().bodyAsJsonObject(), now);
    });
  }

  /** An account as a poll or the stream showed it at {@code now}; statuses only count forward. */
  private static void observe(Account a, JsonObject acc, long now) {
    String status = acc.getString("migrationStatus");
    JsonObject p = acc.getJsonObject("progress");
    a.status = status;
    a.failureReason = acc.getString("failureReason");
    if (p != null) {
      a.phase = p.getString("phase");
      a.messages = num(p, "messagesMigrated");
      a.threads = num(p, "threadsMigrated");
      a.attachments = num(p, "attachmentsMigrated");
      a.deadLetters = num(p, "deadLetters");
    }
    String sig = status + "|" + a.phase + "|" + a.messages + "|" + a.threads + "|" + a.attachments + "|" + a.deadLetters;
    if (!sig.equals(a.signature)) {
      a.signature = sig;
      a.lastChangeNs = now;
    }
    int rank = RANKED.indexOf(status);
    long wall = System.currentTimeMillis() - (System.nanoTime() - now) / 1_000_000;
    for (int r = 1; r <= rank; r++) {
      if (a.reachedNs[r] == 0) {
        a.reachedNs[r] = now;
        a.reachedWallMs[r] = wall;
      }
    }
    if (status.equals("completed") || status.equals("failed") || status.equals("not_needed")) a.done = true;
  }

  private static long num(JsonObject o, String key) {
    Object v = o.getValue(key);
    return v instanceof Number n ? n.longValue() : 0;
  }
}
