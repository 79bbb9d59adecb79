package dev.helpdesk.migrator.conversations;

import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every start and every channels phase calls Conversations (CONTRACT §2.1, §2.2), and on a fresh JVM
 * the first of those calls ran in the interpreter through the breaker, the web client and the JSON
 * decoding. Before the instance's port opens, a second client of the same class calls a loopback
 * stand-in that answers both routes as Conversations does; Conversations itself is never called, and
 * the instance's own client and breaker are left untouched.
 */
final class ConversationsWarmUp {
  private static final Logger log = LoggerFactory.getLogger(ConversationsWarmUp.class);
  private static final int LANES = 4;
  private static final String CHANNELS = new JsonObject().put("brands", new JsonArray()
      .add(new JsonObject().put("brandId", "b-1").put("name", "Warm-up").put("domain", "warm-up.invalid")
          .put("channels", new JsonArray()
              .add(new JsonObject().put("channelId", "c-1").put("type", "webchat").put("name", "Chat")
                  .putNull("address").put("settings", new JsonObject().put("color", "#00a")))
              .add(new JsonObject().put("channelId", "c-2").put("type", "email").put("name", "Mail")
                  .put("address", "a@warm-up.invalid"))))).encode();

  private ConversationsWarmUp() {}

  /** Never fails: a warm-up that goes wrong is logged and the instance starts as it would have. */
  static Future<Void> run(Vertx vertx, Settings.Conversations settings, int rounds) {
    if (rounds == 0) return Future.succeededFuture();
    return vertx.createHttpServer().requestHandler(ConversationsWarmUp::answer).listen(0, "127.0.0.1")
        .compose(server -> calls(vertx, settings, server, rounds).eventually(server::close))
        .recover(t -> {
          log.warn("Conversations client warm-up stopped: {}", t.toString());
          return Future.succeededFuture();
        });
  }

  private static Future<Void> calls(Vertx vertx, Settings.Conversations settings, HttpServer server, int rounds) {
    ConversationsClient client = new ConversationsClient(vertx, new Settings.Conversations(
        URI.create("http://127.0.0.1:" + server.actualPort()), "warm-up", settings.timeoutMs(), 1,
        settings.backoffBaseMs(), settings.backoffMaxMs(), Integer.MAX_VALUE, settings.breakerResetMs()));
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < LANES; i++) lanes.add(lane(client, next, rounds, settings.timeoutMs()));
    return Future.all(lanes).<Void>mapEmpty().eventually(client::close);
  }

  private static Future<Void> lane(ConversationsClient client, AtomicInteger next, int rounds, long budgetMs) {
    int n = next.getAndIncrement();
    if (n >= rounds) return Future.succeededFuture();
    String account = "warm-up-" + n;
    return client.check(account, budgetMs)
        .compose(checked -> client.channels(account, budgetMs))
        .compose(channels -> lane(client, next, rounds, budgetMs));
  }

  private static void answer(HttpServerRequest request) {
    String path = request.path();
    String body = path.endsWith("/migration-check")
        ? new JsonObject().put("accountId", "warm-up").put("exists", true).put("threadCount", 3).encode()
        : path.endsWith("/channels-to-migrate") ? CHANNELS : null;
    if (body == null) {
      request.response().setStatusCode(404).end();
    } else {
      request.response().putHeader("Content-Type", "application/json").end(body);
    }
  }
}
