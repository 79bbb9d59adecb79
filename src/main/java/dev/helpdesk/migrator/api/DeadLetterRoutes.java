package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.read.Cursor;
import dev.helpdesk.migrator.read.ReadStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The operators' dead-letter routes of CONTRACT §3.3: the list, and retrying it. */
final class DeadLetterRoutes {
  static final String NOTHING_TO_RETRY = "nothing_to_retry";

  private final Vertx vertx;
  private final ReadStore store;
  private final long busTimeoutMs;

  DeadLetterRoutes(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.store = new ReadStore(Database.pool(vertx, settings.pg()), settings.pg().queryTimeoutMs());
    this.busTimeoutMs = settings.pg().queryTimeoutMs() + 1000;
  }

  void list(RoutingContext ctx) {
    String accountId = Json.validId(ctx.pathParam("accountId"), "accountId");
    Paging paging = Paging.of(ctx, Cursor.DEAD_LETTERS, Long.class);
    long afterId = paging.after() == null ? 0 : paging.after().getLong(0);
    store.deadLetters(accountId, afterId, paging.limit())
        .recover(ThreadRoutes::unavailable)
        .onSuccess(page -> {
          if (page.isEmpty()) ApiError.notFound("account not found").send(ctx);
          else Json.send(ctx, 200, page.get().toJson());
        })
        .onFailure(ctx::fail);
  }

  /**
   * A failed account resumes its run through the ordinary start path (so the start table's
   * conditional update still arbitrates races); a completed one keeps its status and has the
   * pipeline retry its dead letters in place. Anything else has nothing a retry could do.
   */
  void retry(RoutingContext ctx) {
    String accountId = Json.validId(ctx.pathParam("accountId"), "accountId");
    store.retryTarget(accountId)
        .recover(ThreadRoutes::unavailable)
        .compose(found -> {
          if (found.isEmpty()) return Future.failedFuture(ApiError.notFound("account not found"));
          ReadStore.RetryTarget target = found.get();
          return switch (target.migrationStatus()) {
            // Conversations' origin: accepted from failed without force, i.e. resumed from the checkpoint
            case "failed" -> request(Bus.MIGRATION_START,
                new JsonObject().put("accountId", accountId).put("origin", "conversations").put("force", false))
                .map(r -> answer(accountId, r.getBoolean("accepted"), r.getString("migrationStatus"), r.getString("reason")));
            case "completed" -> target.openDeadLetters() == 0
                ? Future.succeededFuture(refused(accountId, "completed", NOTHING_TO_RETRY))
                : request(Bus.DEAD_LETTERS_RETRY, new JsonObject().put("accountId", accountId))
                    .map(r -> answer(accountId, true, "completed", null).put("queued", r.getInteger("queued")));
            case "paused" -> Future.succeededFuture(refused(accountId, "paused", "paused"));
            case "not_started", "not_needed" ->
                Future.succeededFuture(refused(accountId, target.migrationStatus(), NOTHING_TO_RETRY));
            default -> Future.succeededFuture(refused(accountId, target.migrationStatus(), "already_running"));
          };
        })
        .onSuccess(answer -> Json.send(ctx, answer.getBoolean("accepted") ? 202 : 200, answer))
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    // no consumer, a time-out or a database failure behind the bus: all mapped as the other routes map them
    return Bus.request(vertx, address, body, busTimeoutMs).recover(t -> Future.failedFuture(AccountRoutes.toApiError(t)));
  }

  private static JsonObject refused(String accountId, String status, String reason) {
    return answer(accountId, false, status, reason);
  }

  private static JsonObject answer(String accountId, boolean accepted, String status, String reason) {
    return new JsonObject().put("accountId", accountId).put("accepted", accepted)
        .put("migrationStatus", status).put("reason", reason);
  }
}
