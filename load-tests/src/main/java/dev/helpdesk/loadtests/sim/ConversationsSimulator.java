package dev.helpdesk.loadtests.sim;

import static dev.helpdesk.loadtests.sim.Replies.answer;
import static dev.helpdesk.loadtests.sim.Replies.error;
import static dev.helpdesk.loadtests.sim.Replies.json;

import dev.helpdesk.loadtests.data.AccountChannels;
import dev.helpdesk.loadtests.data.Queries;
import dev.helpdesk.loadtests.data.SourceTables;
import dev.helpdesk.loadtests.sim.Faults.ApiFault;
import dev.helpdesk.loadtests.support.DynamoClients;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.Select;

/**
 * Stand-in for Conversations' HTTP API and media service (CONTRACT §2), answering from the
 * DynamoDB source tables, with fault knobs ({@link Faults}) and request accounting ({@link Stats}).
 *
 * <p>Routes: {@code GET /v1/accounts/{id}/migration-check}, {@code GET /v1/accounts/{id}/channels-to-migrate},
 * {@code GET /media/{attachmentId}?size=&ct=} ({@link MediaRoute}), and for other processes
 * {@code GET|PUT|DELETE /_sim/faults}, {@code GET /_sim/stats}, {@code POST /_sim/stats/reset}
 * (loopback callers only, no token). Run as a process with {@link #main}.
 */
public final class ConversationsSimulator {
  private final Vertx vertx;
  private final SimulatorOptions opts;
  private final DynamoDbAsyncClient dynamo;
  private final boolean ownsDynamo;
  private final SourceTables tables;
  private final Faults faults = new Faults();
  private final Stats stats;
  /** accounts whose thread count was told ({@link #know}): answered without a DynamoDB query */
  private final Map<String, Integer> known = new ConcurrentHashMap<>();
  private HttpServer server;

  private ConversationsSimulator(Vertx vertx, SimulatorOptions opts) {
    this.vertx = vertx;
    this.opts = opts;
    this.ownsDynamo = opts.dynamo() == null;
    this.dynamo = ownsDynamo ? DynamoClients.create(opts.dynamoEndpoint(), opts.region()) : opts.dynamo();
    this.tables = opts.tables();
    this.stats = new Stats(opts.requestLogCapacity());
  }

  public static Future<ConversationsSimulator> start(Vertx vertx, SimulatorOptions opts) {
    ConversationsSimulator sim = new ConversationsSimulator(vertx, opts);
    return vertx.createHttpServer()
        .requestHandler(sim.router())
        .listen(opts.port(), opts.host())
        .map(s -> {
          sim.server = s;
          return sim;
        })
        .recover(err -> sim.close().transform(ignored -> Future.failedFuture(err)));
  }

  /** See {@link SimulatorMain} for the environment it reads. */
  public static void main(String[] args) throws Exception {
    SimulatorMain.run(System.getenv());
  }

  public int port() {
    return server.actualPort();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  /** Attachment URLs point here; the same server as the API. */
  public String mediaBaseUrl() {
    return baseUrl();
  }

  /**
   * Answers this account's migration-check and channels-to-migrate from memory from now on, as
   * Conversations answers from its own store. Otherwise the simulator counts the account's threads
   * in the DynamoDB stand-in, and under a load test that one dynalite process is busy serving the
   * service's reads: its answers then wait behind them (measured: p95 ~0.7 s with 20 accounts
   * migrating), a cost the real Conversations API does not share.
   */
  public void know(String accountId, int threadCount) {
    known.put(accountId, threadCount);
  }

  public Faults faults() {
    return faults;
  }

  public Stats stats() {
    return stats;
  }

  public SimulatorOptions options() {
    return opts;
  }

  DynamoDbAsyncClient dynamo() {
    return dynamo;
  }

  /** Closes the server (stalled requests are cut off) and the DynamoDB client if it made it. */
  public Future<Void> close() {
    Future<Void> closing = server == null ? Future.succeededFuture() : server.close();
    if (!ownsDynamo) return closing;
    // the SDK's close waits out Netty's quiet period: not on an event loop
    return closing.eventually(() -> vertx.executeBlocking(() -> {
      dynamo.close();
      return null;
    }));
  }

  private Router router() {
    Router r = Router.router(vertx);
    r.get("/v1/accounts/:accountId/migration-check").handler(api(Stats.CHECK, this::migrationCheck));
    r.get("/v1/accounts/:accountId/channels-to-migrate").handler(api(Stats.CHANNELS, this::channels));
    r.get("/media/:attachmentId").handler(new MediaRoute(vertx, opts.mediaToken(), faults, stats));

    r.route("/_sim/*").handler(this::loopbackOnly);
    r.get("/_sim/faults").handler(ctx -> json(ctx.response(), 200, faults.toJson()));
    r.put("/_sim/faults").handler(BodyHandler.create(false)).handler(this::putFaults);
    r.delete("/_sim/faults").handler(ctx -> json(ctx.response(), 200, faults.reset().toJson()));
    r.get("/_sim/stats").handler(ctx -> json(ctx.response(), 200, stats.toJson()));
    r.post("/_sim/stats/reset").handler(ctx -> {
      stats.reset();
      ctx.response().setStatusCode(204).end();
    });

    r.route().last().handler(ctx -> {
      Replies.arrived(stats, Stats.OTHER, ctx);
      answer(stats, ctx, Stats.OTHER, 404, error("not_found", "no such route"));
    });
    return r;
  }

  /** An answer of an API route. */
  private record Reply(int status, JsonObject body) {}

  /** Faults first (a down server answers nobody), then the token, then the unknown-account knob. */
  private Handler<RoutingContext> api(String kind, Function<String, Future<Reply>> action) {
    return ctx -> {
      Replies.arrived(stats, kind, ctx);
      ApiFault fault = faults.decideApi();
      if (fault == ApiFault.STALL) {
        stats.answered(kind, Stats.STALLED);
        return;
      }
      long latency = faults.latencyMs();
      Future<Void> delay = latency <= 0 ? Future.succeededFuture() : vertx.timer(latency);
      delay.onComplete(v -> {
        if (fault == ApiFault.UNAVAILABLE) {
          answer(stats, ctx, kind, 503, error("unavailable", "simulated failure"));
          return;
        }
        if (!Replies.hasBearer(ctx.request(), opts.conversationsToken())) {
          answer(stats, ctx, kind, 401, error("unauthorized", "missing or wrong bearer token"));
          return;
        }
        String accountId = ctx.pathParam("accountId");
        if (faults.isUnknown(accountId)) {
          answer(stats, ctx, kind, 404, error("not_found", "unknown account"));
          return;
        }
        action.apply(accountId).onComplete(ar -> {
          if (ar.succeeded()) {
            answer(stats, ctx, kind, ar.result().status(), ar.result().body());
          } else {
            answer(stats, ctx, kind, 500, error("internal", String.valueOf(ar.cause())));
          }
        });
      });
    };
  }

  private Future<Reply> migrationCheck(String accountId) {
    Integer count = known.get(accountId);
    if (count != null) {
      return Future.succeededFuture(new Reply(200, new JsonObject().put("accountId", accountId).put("exists", true)
          .put("threadCount", count)));
    }
    return fromSdk(Queries.count(dynamo, threadsOf(accountId)))
        .map(n -> n == 0 && fixtureFor(accountId) == null
            ? new Reply(404, error("not_found", "unknown account"))
            : new Reply(200, new JsonObject().put("accountId", accountId).put("exists", true).put("threadCount", n)));
  }

  private Future<Reply> channels(String accountId) {
    JsonObject fixture = fixtureFor(accountId);
    if (fixture != null) {
      return Future.succeededFuture(new Reply(200, new JsonObject().put("accountId", accountId)
          .put("brands", fixture.getJsonArray("brands", new JsonArray()).copy())));
    }
    if (known.containsKey(accountId)) return Future.succeededFuture(new Reply(200, AccountChannels.of(accountId).toJson()));
    // one item is enough to know the account exists
    QueryRequest probe = threadsOf(accountId).toBuilder().select(Select.COUNT).limit(1).build();
    return fromSdk(dynamo.query(probe)).map(resp -> resp.count() == 0
        ? new Reply(404, error("not_found", "unknown account"))
        : new Reply(200, AccountChannels.of(accountId).toJson()));
  }

  private QueryRequest threadsOf(String accountId) {
    return Queries.byKey(tables.threadsTable(), "accountId", accountId);
  }

  private JsonObject fixtureFor(String accountId) {
    JsonObject fixture = opts.brandsFixture();
    return fixture == null ? null : fixture.getJsonObject(accountId);
  }

  private void putFaults(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) throw new IllegalArgumentException("expected a JSON object");
      json(ctx.response(), 200, faults.apply(body).toJson());
    } catch (RuntimeException e) {
      json(ctx.response(), 400, error("bad_request", String.valueOf(e.getMessage())));
    }
  }

  private void loopbackOnly(RoutingContext ctx) {
    String host = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
    boolean loopback;
    try {
      loopback = host != null && InetAddress.getByName(host).isLoopbackAddress(); // an IP literal: no lookup
    } catch (Exception e) {
      loopback = false;
    }
    if (loopback) {
      ctx.next();
    } else {
      json(ctx.response(), 403, error("forbidden", "control routes answer loopback callers only"));
    }
  }

  /** Back onto the calling event loop from an SDK future. */
  private <T> Future<T> fromSdk(CompletionStage<T> cs) {
    return Future.fromCompletionStage(cs, vertx.getOrCreateContext());
  }
}
