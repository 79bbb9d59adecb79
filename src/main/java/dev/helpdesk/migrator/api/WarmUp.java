package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fresh JVM answers its first requests several times slower than a warm one (class loading, lambda
 * call sites linked on first use, the interpreter until C1 compiles), and the first requests of a fresh
 * instance are customers waiting for an inbox. So before the port opens, {@code WARMUP_ROUNDS} times:
 * <ul>
 *   <li>the requests an app and Conversations send first (listing, status, start, progress stream,
 *   Conversations' start) go through the same router on a loopback port of its own, for accounts that
 *   cannot exist: every answer is a 404 or an empty list;</li>
 *   <li>the Conversations client calls a loopback stand-in ({@code conversations.ConversationsWarmUp});</li>
 *   <li>the channels phase's writes run in transactions that are rolled back ({@code migration.ChannelsPhase}).</li>
 * </ul>
 * Nothing stays in the database, and nothing beyond the instance and its database is called. It runs from
 * the API verticle, the last one deployed: the components' event loops are assigned by then, whereas a
 * first version that warmed up in each component's own start created contexts earlier and moved the
 * account store onto the job runner's event loop (status p99 138-230 ms instead of 25-43).
 */
final class WarmUp {
  private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
  /** requests in flight: enough to keep the event loop busy without queueing on the pool */
  private static final int LANES = 4;
  /** a start that takes longer is given up on: the port opens anyway */
  private static final long BUDGET_MS = 15_000;

  private final Vertx vertx;
  private final Settings settings;
  private final JWTAuth tokens;
  private final String prefix = "warm-up-" + UUID.randomUUID() + "-";
  /** both counted on this verticle's event loop only */
  private int sent;
  private int unexpected;

  private WarmUp(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
    this.tokens = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(settings.auth().jwtSecret())));
  }

  /** Never fails: a warm-up that goes wrong is logged and the port opens as it would have. */
  static Future<Void> run(Vertx vertx, Settings settings, HttpServerOptions options, Handler<HttpServerRequest> router) {
    int rounds = settings.ops().warmupRounds();
    if (rounds == 0) return Future.succeededFuture();
    long started = System.nanoTime();
    WarmUp w = new WarmUp(vertx, settings);
    JsonObject body = new JsonObject().put("rounds", rounds);
    // the other components warm up on their own event loops meanwhile
    Future<Void> conversations = Bus.request(vertx, Bus.CONVERSATIONS_WARM_UP, body, BUDGET_MS).mapEmpty();
    Future<Void> channels = Bus.request(vertx, Bus.JOBS_WARM_UP, body, BUDGET_MS).mapEmpty();
    Future<Void> api = vertx.createHttpServer(new HttpServerOptions(options).setHost("127.0.0.1").setPort(0))
        .requestHandler(router)
        .listen()
        .compose(server -> w.rounds(server.actualPort(), rounds).eventually(server::close));
    return Future.join(api, conversations, channels).<Void>mapEmpty()
        .timeout(BUDGET_MS, TimeUnit.MILLISECONDS)
        .onSuccess(v -> log.info("warm-up: {} rounds in {} ms ({} API requests to itself, {} unexpected answers)", rounds,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), w.sent, w.unexpected))
        .recover(t -> {
          log.warn("warm-up stopped after {} requests: {}", w.sent, t.toString());
          return Future.succeededFuture();
        });
  }

  private Future<Void> rounds(int port, int rounds) {
    WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setFollowRedirects(false), new PoolOptions().setHttp1MaxSize(LANES));
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < LANES; i++) lanes.add(lane(client, next, rounds));
    return Future.all(lanes).<Void>mapEmpty().onComplete(ar -> client.close());
  }

  private Future<Void> lane(WebClient client, AtomicInteger next, int rounds) {
    int n = next.getAndIncrement();
    if (n >= rounds) return Future.succeededFuture();
    return round(client, n).compose(v -> lane(client, next, rounds));
  }

  /** One app's first requests for an account of its own, and every tenth round Conversations' start. */
  private Future<Void> round(WebClient client, int n) {
    String account = prefix + n;
    // a subject per round: each is its own caller to the rate limiter, and its token is verified once, as a new app's
    String bearer = "Bearer " + tokens.generateToken(new JsonObject().put("sub", account)
        .put("accounts", new JsonArray().add(account)), new JWTOptions().setExpiresInSeconds(60));
    String path = "/v1/accounts/" + account;
    Future<Void> round = send(client, HttpMethod.GET, "/v1/accounts", bearer, null, 200)
        .compose(v -> send(client, HttpMethod.GET, path, bearer, null, 404))
        .compose(v -> send(client, HttpMethod.POST, path + "/start-migration", bearer, null, 404))
        .compose(v -> send(client, HttpMethod.GET, path + "/migration/events", bearer, null, 404));
    // Conversations is one caller to the rate limiter: these spend a twentieth of its burst at most
    if (n % 10 != 0 || n / 10 >= settings.rateLimits().conversationsBurst() / 20) return round;
    String conversations = "Bearer " + settings.auth().conversationsCallerTokens().get(0);
    return round.compose(v -> send(client, HttpMethod.POST, "/v1/migrate", conversations,
        new JsonObject().put("accountId", account).toBuffer(), 404));
  }

  private Future<Void> send(WebClient client, HttpMethod method, String path, String bearer, Buffer body, int expected) {
    sent++;
    var request = client.request(method, path).putHeader("Authorization", bearer);
    Future<HttpResponse<Buffer>> answer = body == null ? request.send()
        : request.putHeader("Content-Type", "application/json").sendBuffer(body);
    return answer.map(r -> {
      if (r.statusCode() != expected) {
        if (unexpected++ == 0) {
          log.warn("warm-up: {} {} answered {} instead of {}: {}", method, path, r.statusCode(), expected, r.bodyAsString());
        }
      }
      return (Void) null;
    });
  }
}
