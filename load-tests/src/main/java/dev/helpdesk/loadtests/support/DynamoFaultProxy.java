package dev.helpdesk.loadtests.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A proxy in front of dynalite that misbehaves the way DynamoDB can: throttling errors, tiny
 * pages (it rewrites each Query's Limit), a final page that is empty but was announced by
 * a LastEvaluatedKey, and Queries that are never answered. Faults live at the network edge, so the
 * service's own code is untouched.
 */
public final class DynamoFaultProxy implements AutoCloseable {
  /** Key attributes per table and index, to announce a LastEvaluatedKey the way DynamoDB would. */
  private static final Map<String, List<String>> KEYS = Map.of(
      "conversations-threads", List.of("accountId", "threadId"),
      "accountId-lastMessageAt-index", List.of("accountId", "threadId", "lastMessageAt"),
      "conversations-messages", List.of("threadId", "messageId"));

  public volatile double throttleRate;
  public volatile Integer pageLimit;
  public volatile boolean trailingEmptyPage;
  /** How many of the next Queries get no answer at all (the connection stays open until the client gives up). */
  public final AtomicInteger unansweredQueries = new AtomicInteger();
  public final AtomicInteger received = new AtomicInteger();
  public final AtomicInteger throttled = new AtomicInteger();
  public final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final int targetPort;
  private final HttpClient client;
  private HttpServer server;

  private DynamoFaultProxy(Vertx vertx, int targetPort) {
    this.targetPort = targetPort;
    this.client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(128));
  }

  public static Future<DynamoFaultProxy> start(Vertx vertx, int targetPort) {
    DynamoFaultProxy p = new DynamoFaultProxy(vertx, targetPort);
    return vertx.createHttpServer().requestHandler(p::handle).listen(0, "127.0.0.1").map(s -> {
      p.server = s;
      return p;
    });
  }

  public String endpoint() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  private void handle(HttpServerRequest req) {
    received.incrementAndGet();
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    req.body().onSuccess(body -> {
      if (ThreadLocalRandom.current().nextDouble() < throttleRate) {
        throttled.incrementAndGet();
        inFlight.decrementAndGet();
        req.response().setStatusCode(400).putHeader("content-type", "application/x-amz-json-1.0")
            .end(new JsonObject().put("__type", "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException")
                .put("message", "injected throttling").encode());
        return;
      }
      boolean query = String.valueOf(req.getHeader("X-Amz-Target")).endsWith(".Query");
      if (query && unansweredQueries.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        req.connection().closeHandler(v -> inFlight.decrementAndGet());
        return;
      }
      JsonObject request = query ? body.toJsonObject() : null;
      if (query && pageLimit != null) request.put("Limit", pageLimit);
      forward(req, request == null ? body : request.toBuffer(), request);
    });
  }

  private void forward(HttpServerRequest req, Buffer body, JsonObject query) {
    client.request(req.method(), targetPort, "127.0.0.1", req.uri()).compose(out -> {
      req.headers().forEach((k, v) -> {
        // the body may have been rewritten: its signature and checksum no longer apply, dynalite ignores them
        if (!k.equalsIgnoreCase("host") && !k.equalsIgnoreCase("content-length") && !k.equalsIgnoreCase("connection")) {
          out.headers().add(k, v);
        }
      });
      return out.send(body);
    }).compose(resp -> resp.body().map(b -> {
      Buffer answer = query != null && resp.statusCode() == 200 && trailingEmptyPage ? announceEnd(query, b) : b;
      inFlight.decrementAndGet();
      req.response().setStatusCode(resp.statusCode());
      String type = resp.getHeader("content-type");
      if (type != null) req.response().putHeader("content-type", type);
      req.response().end(answer);
      return b;
    })).onFailure(e -> {
      inFlight.decrementAndGet();
      req.response().setStatusCode(502).end();
    });
  }

  /** A last page with items gets a LastEvaluatedKey, so the reader must ask once more and receive an empty page. */
  private static Buffer announceEnd(JsonObject query, Buffer body) {
    JsonObject page = body.toJsonObject();
    JsonArray items = page.getJsonArray("Items");
    if (page.containsKey("LastEvaluatedKey") || items == null || items.isEmpty()) return body;
    List<String> keys = KEYS.get(query.getString("IndexName", query.getString("TableName")));
    if (keys == null) return body;
    JsonObject last = items.getJsonObject(items.size() - 1);
    JsonObject lek = new JsonObject();
    keys.forEach(k -> lek.put(k, last.getValue(k)));
    return page.put("LastEvaluatedKey", lek).toBuffer();
  }

  @Override
  public void close() {
    server.close();
    client.close();
  }
}
