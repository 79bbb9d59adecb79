package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.accounts.OperatorActions;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.media.BlobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;

/**
 * The operators' controls of one account (README, Operator controls): pause, resume and cancel a
 * run, purge its migrated data. Pause, resume and cancel answer like the start routes of CONTRACT
 * §3.2: 200 with {@code accepted} and, when nothing changed (a repeat, or a status the control does
 * not apply to), the {@code reason}. A purge that would race a live run is a 409 {@code conflict}.
 */
final class OperatorRoutes {
  private final OperatorActions actions;

  OperatorRoutes(Vertx vertx, Settings settings) {
    BlobStore blobs = new BlobStore(vertx, settings.migration().attachmentsDir());
    this.actions = new OperatorActions(vertx, Database.pool(vertx, settings.pg()), settings.pg().queryTimeoutMs(),
        blobs::pathOf);
  }

  void pause(RoutingContext ctx) {
    control(ctx, actions::pause);
  }

  void resume(RoutingContext ctx) {
    control(ctx, actions::resume);
  }

  void cancel(RoutingContext ctx) {
    control(ctx, actions::cancel);
  }

  void purge(RoutingContext ctx) {
    control(ctx, actions::purge);
  }

  private static void control(RoutingContext ctx, Function<String, Future<JsonObject>> action) {
    String accountId = Json.validId(ctx.pathParam("accountId"), "accountId");
    action.apply(accountId)
        .recover(t -> Future.failedFuture(toApiError(t)))
        .onSuccess(answer -> Json.send(ctx, 200, answer))
        .onFailure(ctx::fail);
  }

  static ApiError toApiError(Throwable t) {
    if (t instanceof OperatorActions.Conflict c) return new ApiError(409, "conflict", c.getMessage());
    if (t instanceof dev.helpdesk.migrator.bus.Bus.ServiceException se) {
      return switch (se.failure) {
        case NOT_FOUND -> ApiError.notFound(se.getMessage());
        case BAD_REQUEST -> ApiError.badRequest(se.getMessage());
        case UNAVAILABLE -> ApiError.unavailable("the database is unavailable, retry shortly");
        case INTERNAL -> new ApiError(500, "internal", "internal error");
      };
    }
    return AccountRoutes.toApiError(t);
  }
}
