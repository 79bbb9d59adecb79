package dev.helpdesk.migrator.notify;

import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A local Slack-compatible webhook: records every POST (arrival time, path, JSON body) and answers
 * by a per-account script of statuses (default 200). {@link #HOLD} in a script (or {@link #blackHole})
 * reads the request and never answers, like a receiver that accepts connections and hangs. A 3xx
 * points elsewhere on this receiver, so a followed redirect would show as a second post.
 */
final class Receiver implements AutoCloseable {
  static final int HOLD = -1;
  /** The path a Slack hook carries its secret in: it must never reach a log line. */
  static final String SECRET_PATH = "/services/T0SCAN/B0SCAN/hook-SCAN-secret-5f2e9a";

  record Post(long atMs, String path, JsonObject body, int answered) {}

  private final HttpServer server;
  private final List<Post> posts = new ArrayList<>();
  private final Map<String, Deque<Integer>> scripts = new ConcurrentHashMap<>();
  private volatile boolean blackHole;

  private Receiver(HttpServer server) {
    this.server = server;
  }

  static Receiver start(Vertx vertx) {
    Receiver[] self = new Receiver[1];
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(buf -> {
      JsonObject body;
      try {
        body = buf.toJsonObject();
      } catch (RuntimeException e) {
        body = new JsonObject().put("unparsable", buf.toString());
      }
      int status = self[0].next(body.getString("accountId"));
      self[0].record(new Post(System.currentTimeMillis(), req.path(), body, status));
      if (status >= 300 && status < 400) req.response().putHeader("Location", "/redirected" + SECRET_PATH);
      if (status != HOLD) req.response().setStatusCode(status).end(status == 200 ? "ok" : "no");
    }));
    TestService.await(server.listen(0, "127.0.0.1"));
    self[0] = new Receiver(server);
    return self[0];
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + SECRET_PATH;
  }

  /** The next statuses answered to posts about this account, in order; then 200. */
  Receiver script(String accountId, Integer... statuses) {
    scripts.put(accountId, new ArrayDeque<>(List.of(statuses)));
    return this;
  }

  Receiver blackHole(boolean on) {
    blackHole = on;
    return this;
  }

  private int next(String accountId) {
    if (blackHole) return HOLD;
    Deque<Integer> script = accountId == null ? null : scripts.get(accountId);
    Integer s = script == null ? null : script.poll();
    return s == null ? 200 : s;
  }

  private synchronized void record(Post p) {
    posts.add(p);
  }

  synchronized List<Post> posts() {
    return new ArrayList<>(posts);
  }

  List<Post> posts(String accountId, String event) {
    Predicate<Post> match = p -> accountId.equals(p.body().getString("accountId"))
        && (event == null || event.equals(p.body().getString("event")));
    return posts().stream().filter(match).toList();
  }

  /** Waits until at least {@code n} posts match; returns them. */
  List<Post> await(String accountId, String event, int n, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    List<Post> found;
    do {
      found = posts(accountId, event);
      if (found.size() >= n) return found;
      TestService.sleep(50);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("expected " + n + " " + event + " posts for " + accountId + " in " + timeoutMs
        + " ms, got " + found.size() + "; all posts: " + posts());
  }

  @Override
  public void close() {
    TestService.await(server.close());
  }
}
