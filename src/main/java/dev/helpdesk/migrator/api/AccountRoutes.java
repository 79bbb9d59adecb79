package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.bus.Bus.Failure;
import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/** The accounts routes of CONTRACT §3.3 (creation, status, starting a run). */
final class AccountRoutes {
  private final Vertx vertx;
  private final long storeTimeoutMs;
  private final long checkBudgetMs;
  private final long startCheckBudgetMs;
  /** tells this verticle's holds from another API verticle's */
  private final String holdPrefix = UUID.randomUUID() + ":";
  private long holds;

  AccountRoutes(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.storeTimeoutMs = settings.pg().queryTimeoutMs() + 1000;
    var c = settings.conversations();
    // Listing must answer within one call's time-out even when Conversations is down.
    this.checkBudgetMs = c.timeoutMs();
    // Starting waits for the whole retry schedule: the app shows a spinner meanwhile.
    this.startCheckBudgetMs = c.maxAttempts() * (c.timeoutMs() + c.backoffMaxMs());
  }

  void create(RoutingContext ctx) {
    JsonObject body = Json.body(ctx);
    String accountId = Json.requiredId(body, "accountId");
    String name = Json.requiredText(body, "name");
    store(Bus.ACCOUNT_UPSERT, new JsonObject().put("accountId", accountId).put("name", name))
        .onSuccess(r -> Json.send(ctx, r.getBoolean("created") ? 201 : 200, r.getJsonObject("account")))
        .onFailure(ctx::fail);
  }

  void get(RoutingContext ctx) {
    String accountId = visibleAccount(ctx);
    store(Bus.ACCOUNT_GET, new JsonObject().put("accountId", accountId))
        .onSuccess(account -> Json.send(ctx, 200, account))
        .onFailure(ctx::fail);
  }

  /** The token's accounts; a never-checked one is checked first, within one call's time-out. */
  void list(RoutingContext ctx) {
    Caller caller = ctx.get(ApiVerticle.CALLER);
    JsonArray ids = new JsonArray(caller.accounts().stream().sorted().toList());
    store(Bus.ACCOUNTS_GET_MANY, new JsonObject().put("accountIds", ids))
        .compose(found -> {
          List<Future<JsonObject>> items = new ArrayList<>();
          for (Object o : found.getJsonArray("items")) items.add(checkIfNeverChecked((JsonObject) o));
          return Future.join(items).map(all -> new JsonArray(all.list()));
        })
        .onSuccess(items -> Json.send(ctx, 200, new JsonObject().put("items", items).putNull("nextCursor")))
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> checkIfNeverChecked(JsonObject account) {
    if (!needsCheck(account)) return Future.succeededFuture(account);
    // A failed check leaves the account as it was: it is asked again on the next listing.
    return check(account.getString("accountId"), checkBudgetMs).otherwise(account);
  }

  void startFromApp(RoutingContext ctx) {
    String accountId = visibleAccount(ctx);
    inForeground(() -> store(Bus.ACCOUNT_GET, new JsonObject().put("accountId", accountId))
        .compose(account -> needsCheck(account) ? check(accountId, startCheckBudgetMs) : Future.succeededFuture(account))
        .compose(account -> start(accountId, "mobile", false)))
        .onSuccess(answer -> sendStartAnswer(ctx, answer))
        .onFailure(ctx::fail);
  }

  void startFromConversations(RoutingContext ctx) {
    JsonObject body = Json.body(ctx);
    String accountId = Json.requiredId(body, "accountId");
    boolean force = Json.optionalBoolean(body, "force");
    inForeground(() -> start(accountId, "conversations", force))
        .onSuccess(answer -> sendStartAnswer(ctx, answer))
        .onFailure(ctx::fail);
  }

  /**
   * A start is what a customer waits on (the inbox opens after it): this instance's migrations hold
   * their DynamoDB reads meanwhile (Bus.JOBS_READS_HOLD), and the channels phase takes over the hold.
   */
  private <T> Future<T> inForeground(Supplier<Future<T>> start) {
    String token = holdPrefix + holds++;
    vertx.eventBus().send(Bus.JOBS_READS_HOLD, new JsonObject().put("token", token).put("hold", true));
    return start.get().onComplete(ar -> vertx.eventBus().send(Bus.JOBS_READS_HOLD,
        new JsonObject().put("token", token).put("hold", false)));
  }

  private Future<JsonObject> check(String accountId, long budgetMs) {
    return Bus.request(vertx, Bus.CONVERSATIONS_CHECK,
            new JsonObject().put("accountId", accountId).put("budgetMs", budgetMs), budgetMs + 500)
        .recover(t -> Future.failedFuture(ApiError.unavailable("Conversations cannot be asked about this account now")))
        .compose(answer -> store(Bus.ACCOUNT_CHECKED, answer.copy().put("accountId", accountId)));
  }

  private Future<JsonObject> start(String accountId, String origin, boolean force) {
    return store(Bus.MIGRATION_START, new JsonObject().put("accountId", accountId).put("origin", origin).put("force", force));
  }

  private static void sendStartAnswer(RoutingContext ctx, JsonObject answer) {
    boolean accepted = answer.getBoolean("accepted");
    Json.send(ctx, accepted ? 202 : 200, new JsonObject()
        .put("accountId", answer.getString("accountId"))
        .put("accepted", accepted)
        .put("migrationStatus", answer.getString("migrationStatus"))
        .put("reason", answer.getString("reason")));
  }

  private static boolean needsCheck(JsonObject account) {
    return "not_started".equals(account.getString("migrationStatus")) && !account.getBoolean("checked");
  }

  /** The path's account, or the same 404 as a missing account when the caller may not see it. */
  static String visibleAccount(RoutingContext ctx) {
    String accountId = Json.validId(ctx.pathParam("accountId"), "accountId");
    Caller caller = ctx.get(ApiVerticle.CALLER);
    if (!caller.maySee(accountId)) throw ApiError.notFound("account not found");
    return accountId;
  }

  private Future<JsonObject> store(String address, JsonObject body) {
    return Bus.request(vertx, address, body, storeTimeoutMs).recover(t -> Future.failedFuture(toApiError(t)));
  }

  static ApiError toApiError(Throwable t) {
    if (t instanceof ApiError e) return e;
    Failure f = Failure.of(t);
    return switch (f) {
      case NOT_FOUND -> ApiError.notFound("account not found");
      case BAD_REQUEST -> ApiError.badRequest(t.getMessage());
      case UNAVAILABLE -> ApiError.unavailable("a dependency of this answer is unavailable, retry shortly");
      case INTERNAL -> new ApiError(500, "internal", "internal error");
    };
  }
}
