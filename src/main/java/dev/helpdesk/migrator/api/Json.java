package dev.helpdesk.migrator.api;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Request bodies and responses. A body that is not what the route expects is a 400 that names the field. */
final class Json {
  static final int MAX_ID_CHARS = 200;
  static final int MAX_NAME_CHARS = 500;

  private Json() {}

  static void send(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  static JsonObject body(RoutingContext ctx) {
    var buffer = ctx.body().buffer();
    if (buffer == null || buffer.length() == 0) throw ApiError.badRequest("a JSON object body is required");
    Object value;
    try {
      value = io.vertx.core.json.Json.decodeValue(buffer);
    } catch (DecodeException e) {
      throw ApiError.badRequest("the body is not valid JSON");
    }
    if (!(value instanceof JsonObject object)) throw ApiError.badRequest("the body must be a JSON object");
    return object;
  }

  static String requiredId(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) throw ApiError.badRequest(field + " is required");
    if (!(v instanceof String s)) throw ApiError.badRequest(field + " must be a string");
    return validId(s, field);
  }

  static String validId(String s, String field) {
    if (s.isBlank() || s.length() > MAX_ID_CHARS || s.chars().anyMatch(Character::isISOControl)) {
      throw ApiError.badRequest(field + " must be 1-" + MAX_ID_CHARS + " printable characters");
    }
    return s;
  }

  static String requiredText(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) throw ApiError.badRequest(field + " is required");
    if (!(v instanceof String s)) throw ApiError.badRequest(field + " must be a string");
    if (s.isBlank() || s.length() > MAX_NAME_CHARS || s.indexOf('\u0000') >= 0) {
      throw ApiError.badRequest(field + " must be 1-" + MAX_NAME_CHARS + " characters without U+0000");
    }
    return s;
  }

  static boolean optionalBoolean(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) return false;
    if (!(v instanceof Boolean b)) throw ApiError.badRequest(field + " must be a boolean");
    return b;
  }
}
