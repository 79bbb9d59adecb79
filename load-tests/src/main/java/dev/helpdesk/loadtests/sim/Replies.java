package dev.helpdesk.loadtests.sim;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Request accounting and JSON answers shared by the simulator's routes. */
final class Replies {
  private Replies() {}

  private static final String ARRIVED_NS = "sim.arrivedNs";

  static void arrived(Stats stats, String kind, RoutingContext ctx) {
    ctx.put(ARRIVED_NS, System.nanoTime());
    HttpServerRequest req = ctx.request();
    stats.arrived(new Stats.Request(System.currentTimeMillis(), kind, req.method().name(), req.uri(),
        req.getHeader(HttpHeaders.AUTHORIZATION) != null));
  }

  static void answer(Stats stats, RoutingContext ctx, String kind, int status, JsonObject body) {
    stats.answered(kind, status);
    Long arrived = ctx.get(ARRIVED_NS);
    if (arrived != null) stats.answerTime(kind, (System.nanoTime() - arrived) / 1000);
    json(ctx.response(), status, body);
  }

  static void json(HttpServerResponse resp, int status, JsonObject body) {
    // the client may have given up (time-outs are part of the tests)
    if (resp.closed() || resp.ended()) return;
    resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }

  static JsonObject error(String code, String message) {
    return new JsonObject().put("error", code).put("message", message);
  }

  static boolean hasBearer(HttpServerRequest req, String token) {
    String h = req.getHeader(HttpHeaders.AUTHORIZATION);
    return h != null && token != null && h.equals("Bearer " + token);
  }
}
