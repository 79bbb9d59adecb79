package dev.helpdesk.migrator.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** A refusal with one of the error codes of CONTRACT §3; the message is shown to the caller as is. */
public final class ApiError extends RuntimeException {
  public final int status;
  public final String code;

  public ApiError(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public static ApiError unauthorized(String message) { return new ApiError(401, "unauthorized", message); }
  public static ApiError badRequest(String message) { return new ApiError(400, "bad_request", message); }
  public static ApiError notFound(String message) { return new ApiError(404, "not_found", message); }
  public static ApiError unavailable(String message) { return new ApiError(503, "unavailable", message); }

  public static void send(RoutingContext ctx, int status, String code, String message) {
    if (ctx.response().ended()) return;
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error", code).put("message", message).encode());
  }

  public void send(RoutingContext ctx) {
    send(ctx, status, code, getMessage());
  }
}
