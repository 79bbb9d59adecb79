package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.bulk.BulkStore;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The operators' bulk runs (README, Operator controls): create one, follow it, cancel it. The
 * creation's body has its own limit, {@link #MAX_BODY_BYTES}, instead of the API's 16 KB.
 */
final class BulkRoutes {
  static final String PATH = "/v1/bulk-runs";
  static final int MAX_BODY_BYTES = 1024 * 1024;
  static final int MAX_ACCOUNTS = 50_000;
  static final double MAX_RATE = 1000;
  static final int MAX_CONCURRENCY = 1000;

  private final BulkStore store;

  BulkRoutes(io.vertx.core.Vertx vertx, Settings settings) {
    this.store = new BulkStore(Database.pool(vertx, settings.pg()), settings.pg().queryTimeoutMs());
  }

  /** Everything is checked before anything is written: a bad entry anywhere refuses the whole list. */
  void create(RoutingContext ctx) {
    JsonObject body = Json.body(ctx);
    Object list = body.getValue("accounts");
    if (!(list instanceof JsonArray accounts)) throw ApiError.badRequest("accounts must be an array of {accountId, name}");
    if (accounts.isEmpty() || accounts.size() > MAX_ACCOUNTS) {
      throw ApiError.badRequest("accounts must list 1 to " + MAX_ACCOUNTS + " accounts");
    }
    List<BulkStore.Entry> entries = new ArrayList<>(accounts.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < accounts.size(); i++) {
      if (!(accounts.getValue(i) instanceof JsonObject entry)) throw ApiError.badRequest("accounts[" + i + "] must be an object");
      String accountId;
      String name;
      try {
        accountId = Json.requiredId(entry, "accountId");
        name = Json.requiredText(entry, "name");
      } catch (ApiError e) {
        throw ApiError.badRequest("accounts[" + i + "]: " + e.getMessage());
      }
      if (!seen.add(accountId)) throw ApiError.badRequest("accounts[" + i + "]: accountId " + accountId + " is listed twice");
      entries.add(new BulkStore.Entry(accountId, name));
    }
    double rate = number(body, "ratePerSecond", 0, MAX_RATE);
    Object c = body.getValue("concurrency");
    if (!(c instanceof Integer || c instanceof Long) || ((Number) c).longValue() < 1 || ((Number) c).longValue() > MAX_CONCURRENCY) {
      throw ApiError.badRequest("concurrency must be an integer from 1 to " + MAX_CONCURRENCY);
    }
    store.create(entries, rate, ((Number) c).intValue())
        .recover(t -> Future.failedFuture(OperatorRoutes.toApiError(t)))
        .onSuccess(run -> {
          ctx.response().putHeader("Location", PATH + "/" + run.getString("bulkId"));
          Json.send(ctx, 201, run);
        })
        .onFailure(ctx::fail);
  }

  void get(RoutingContext ctx) {
    answerRun(ctx, store.status(bulkId(ctx)));
  }

  void cancel(RoutingContext ctx) {
    answerRun(ctx, store.cancel(bulkId(ctx)));
  }

  /** 200 with the run as the store has it, or the store's failure as an API error. */
  private static void answerRun(RoutingContext ctx, Future<JsonObject> run) {
    run.recover(t -> Future.failedFuture(OperatorRoutes.toApiError(t)))
        .onSuccess(r -> Json.send(ctx, 200, r))
        .onFailure(ctx::fail);
  }

  /** Ids are the decimal numbers POST answered; anything else names no bulk run (404). */
  private static long bulkId(RoutingContext ctx) {
    String raw = ctx.pathParam("bulkId");
    if (raw == null || !raw.matches("[1-9][0-9]{0,17}")) throw ApiError.notFound("bulk run not found");
    return Long.parseLong(raw);
  }

  private static double number(JsonObject body, String field, double above, double atMost) {
    Object v = body.getValue(field);
    if (!(v instanceof Number n) || !(n.doubleValue() > above) || n.doubleValue() > atMost || Double.isNaN(n.doubleValue())) {
      throw ApiError.badRequest(field + " must be a number above " + (long) above + " and at most " + (long) atMost);
    }
    return n.doubleValue();
  }
}
