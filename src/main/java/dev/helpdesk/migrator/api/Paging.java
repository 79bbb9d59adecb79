package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.read.Cursor;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.regex.Pattern;

/** {@code limit} and {@code cursor} of CONTRACT §3.3; anything but what the contract allows is a 400. */
record Paging(int limit, JsonArray after) {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 200;
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,3}");

  /** {@code keyTypes}: the element types of the list's sort key, as {@link Cursor#decode} checks them. */
  static Paging of(RoutingContext ctx, String cursorKind, Class<?>... keyTypes) {
    int limit = DEFAULT_LIMIT;
    String rawLimit = single(ctx, "limit");
    if (rawLimit != null) {
      // digits only: "1.5", "-1", "+5", "1e2" and blanks are refused, not rounded or clamped
      if (!DIGITS.matcher(rawLimit).matches()) throw ApiError.badRequest("limit must be an integer from 1 to " + MAX_LIMIT);
      limit = Integer.parseInt(rawLimit);
      if (limit < 1 || limit > MAX_LIMIT) throw ApiError.badRequest("limit must be an integer from 1 to " + MAX_LIMIT);
    }
    String cursor = single(ctx, "cursor");
    if (cursor == null) return new Paging(limit, null);
    try {
      return new Paging(limit, Cursor.decode(cursorKind, cursor, keyTypes));
    } catch (Cursor.Malformed e) {
      throw ApiError.badRequest("cursor must be the nextCursor of a previous page of this list");
    }
  }

  private static String single(RoutingContext ctx, String name) {
    List<String> values = ctx.queryParam(name);
    if (values.isEmpty()) return null;
    if (values.size() > 1) throw ApiError.badRequest(name + " must be given at most once");
    return values.get(0);
  }
}
