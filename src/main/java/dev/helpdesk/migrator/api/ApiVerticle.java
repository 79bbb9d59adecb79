package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.api.Caller.Kind;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.ops.Meters;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumSet;
import java.util.Set;

/**
 * The HTTP API. Handlers run in the order of CONTRACT §3's error precedence: credentials
 * (401), header size (431, in the HTTP codec), body size (413), then the route's own
 * validation (400) and look-ups (404).
 */
public final class ApiVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(ApiVerticle.class);
  static final String CALLER = "caller";

  private final Settings settings;
  private ApiContract contract;
  private Router router;
  private HttpServer server;
  private RateLimiter rateLimiter;
  private EventRoutes events;

  public ApiVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    return ApiContract.load(vertx).compose(this::start);
  }

  private Future<?> start(ApiContract contract) {
    this.contract = contract;
    Authenticator authenticator = new Authenticator(vertx, settings.auth());
    rateLimiter = new RateLimiter(settings.rateLimits());
    vertx.setPeriodic(RateLimiter.evictionPeriodMs(), t -> rateLimiter.evictIdle());
    AccountRoutes accounts = new AccountRoutes(vertx, settings);
    HealthRoutes health = new HealthRoutes(vertx, settings);
    ThreadRoutes threads = new ThreadRoutes(vertx, settings);
    DeadLetterRoutes deadLetters = new DeadLetterRoutes(vertx, settings);
    OperatorRoutes operatorControls = new OperatorRoutes(vertx, settings);
    BulkRoutes bulk = new BulkRoutes(vertx, settings);
    DashboardRoutes dashboard = new DashboardRoutes(vertx, settings);
    events = new EventRoutes(vertx, settings);

    Router router = Router.router(vertx);
    this.router = router;
    router.get("/health/live").handler(health::live);
    router.get("/health/ready").handler(health::ready);
    router.get("/openapi.yaml").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; charset=utf-8").end(contract.text()));
    // the page's files need no credential (they hold no data); the overview they poll does
    router.get(DashboardRoutes.MOUNT + "*").handler(dashboard.page());

    router.route().handler(ctx -> authenticator.authenticate(ctx.request().getHeader("Authorization"))
        .onSuccess(caller -> {
          ctx.put(CALLER, caller);
          ctx.next();
        })
        .onFailure(ctx::fail));
    // a bulk run lists thousands of accounts: its own limit, after the credential check (401 before 413)
    router.post(BulkRoutes.PATH).handler(BodyHandler.create(false).setBodyLimit(BulkRoutes.MAX_BODY_BYTES));
    router.route().handler(BodyHandler.create(false).setBodyLimit(settings.http().maxBodyBytes()));

    Set<Kind> mobile = EnumSet.of(Kind.MOBILE);
    Set<Kind> conversations = EnumSet.of(Kind.CONVERSATIONS);
    route(router, HttpMethod.POST, "/v1/accounts", EnumSet.of(Kind.CONVERSATIONS, Kind.OPERATOR), accounts::create);
    route(router, HttpMethod.GET, "/v1/accounts", mobile, accounts::list);
    route(router, HttpMethod.GET, "/v1/accounts/:accountId", EnumSet.allOf(Kind.class), accounts::get);
    route(router, HttpMethod.GET, "/v1/accounts/:accountId/migration/events", EnumSet.allOf(Kind.class), events::events);
    route(router, HttpMethod.POST, "/v1/accounts/:accountId/start-migration", mobile, accounts::startFromApp);
    route(router, HttpMethod.POST, "/v1/migrate", conversations, accounts::startFromConversations);
    Set<Kind> operators = EnumSet.of(Kind.OPERATOR);
    route(router, HttpMethod.GET, "/v1/accounts/:accountId/threads", mobile, threads::threads);
    route(router, HttpMethod.GET, "/v1/threads/:threadId/messages", mobile, threads::messages);
    route(router, HttpMethod.GET, "/v1/attachments/:attachmentId", mobile, threads::attachment);
    route(router, HttpMethod.GET, "/v1/accounts/:accountId/dead-letters", operators, deadLetters::list);
    route(router, HttpMethod.POST, "/v1/accounts/:accountId/dead-letters/retry", operators, deadLetters::retry);
    route(router, HttpMethod.POST, "/v1/accounts/:accountId/migration/pause", operators, operatorControls::pause);
    route(router, HttpMethod.POST, "/v1/accounts/:accountId/migration/resume", operators, operatorControls::resume);
    route(router, HttpMethod.POST, "/v1/accounts/:accountId/migration/cancel", operators, operatorControls::cancel);
    route(router, HttpMethod.POST, "/v1/accounts/:accountId/purge", operators, operatorControls::purge);
    route(router, HttpMethod.POST, BulkRoutes.PATH, operators, bulk::create);
    route(router, HttpMethod.GET, BulkRoutes.PATH + "/:bulkId", operators, bulk::get);
    route(router, HttpMethod.POST, BulkRoutes.PATH + "/:bulkId/cancel", operators, bulk::cancel);
    route(router, HttpMethod.GET, "/metrics", operators, this::metrics);
    route(router, HttpMethod.GET, "/v1/ops/overview", operators, dashboard::overview);

    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> ApiError.send(ctx, 404, "not_found", "no such route"));
    router.errorHandler(405, ctx -> ApiError.send(ctx, 404, "not_found", "no such route"));

    HttpServerOptions options = new HttpServerOptions()
        .setPort(settings.http().port())
        .setMaxHeaderSize(settings.http().maxHeaderBytes())
        .setMaxInitialLineLength(8192)
        .setCompressionSupported(true);
    return WarmUp.run(vertx, settings, options, router)
        .compose(v -> vertx.createHttpServer(options)
            .invalidRequestHandler(ApiVerticle::invalidRequest)
            .requestHandler(router)
            .listen())
        .onSuccess(s -> {
          server = s;
          log.info("API listening on port {}", s.actualPort());
        });
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** The router as started: the test that holds it against openapi.yaml reads its routes. */
  public Router router() {
    return router;
  }

  /**
   * The route's callers first (401), then the caller's rate (429), then the request against its
   * operation in openapi.yaml (400): CONTRACT §3's precedence. A route the file does not describe
   * stops the start-up.
   */
  private void route(Router router, HttpMethod method, String path, Set<Kind> callers,
                     Handler<RoutingContext> handler) {
    Handler<RoutingContext> validated = contract.validating(method, path, handler);
    router.route(method, path).handler(ctx -> {
      Caller caller = ctx.get(CALLER);
      if (!callers.contains(caller.kind())) {
        ApiError.unauthorized("this credential is not accepted on this route").send(ctx);
        return;
      }
      long retryAfter = rateLimiter.retryAfterSeconds(caller);
      if (retryAfter > 0) {
        ctx.response().putHeader("Retry-After", Long.toString(retryAfter));
        ApiError.send(ctx, 429, "rate_limited", "too many requests; retry after " + retryAfter + " s");
        return;
      }
      validated.handle(ctx);
    });
  }

  /** Prometheus text format; rendered on a worker thread, the database-derived gauges are cached values. */
  private void metrics(RoutingContext ctx) {
    vertx.executeBlocking(Meters::scrape, false)
        .onSuccess(text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(text))
        .onFailure(ctx::fail);
  }

  private void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError e) {
      e.send(ctx);
    } else if (ctx.statusCode() == 413) {
      ApiError.send(ctx, 413, "payload_too_large", "the body is larger than " + settings.http().maxBodyBytes() + " bytes");
    } else if (ctx.statusCode() == 400) {
      ApiError.send(ctx, 400, "bad_request", "malformed request");
    } else if (ctx.statusCode() == 404) {
      ApiError.send(ctx, 404, "not_found", "not found");
    } else {
      log.error("unhandled failure on {} {}", ctx.request().method(), ctx.normalizedPath(), failure);
      ApiError.send(ctx, 500, "internal", "internal error");
    }
  }

  /** Requests the HTTP codec could not decode never reach the router; answer them in the same JSON shape. */
  private static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    boolean headers = cause instanceof TooLongHttpHeaderException;
    request.response()
        .setStatusCode(headers ? 431 : 400)
        .putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(new JsonObject()
            .put("error", headers ? "headers_too_large" : "bad_request")
            .put("message", headers ? "request headers are too large" : "malformed HTTP request")
            .encode());
  }

  @Override
  public Future<?> stop() {
    // the event streams end first: their clients reconnect elsewhere instead of waiting on a closing server
    Future<Void> streams = events == null ? Future.succeededFuture() : events.close().recover(t -> Future.succeededFuture());
    return streams.compose(v -> server == null ? Future.succeededFuture() : server.close());
  }
}
