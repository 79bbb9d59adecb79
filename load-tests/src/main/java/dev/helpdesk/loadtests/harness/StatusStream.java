package dev.helpdesk.loadtests.harness;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The app's other way to watch a migration: the service's progress stream
 * ({@code GET /v1/accounts/{id}/migration/events}, one {@code data:} line per change). The driver
 * counts a status as reached when the first of this stream and its 200 ms polls shows it, so the
 * times to a status carry the service's delay, not up to a poll interval of the watcher's.
 * Streams that cannot be opened are counted; the polls still cover those accounts.
 */
final class StatusStream {
  private final HttpClient client;
  private final String base;
  private int refused;

  StatusStream(Vertx vertx, String base, int streams) {
    // one connection per open stream: Vert.x's default pool of 5 would queue all but five accounts
    this.client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(streams + 8));
    this.base = base;
  }

  /** Opens the account's stream; every account the service sends reaches {@code onAccount} on the caller's context. */
  void watch(String accountId, String token, Consumer<JsonObject> onAccount) {
    client.request(new RequestOptions().setMethod(HttpMethod.GET)
            .setAbsoluteURI(base + "/v1/accounts/" + accountId + "/migration/events")
            .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + token)
            .putHeader(HttpHeaders.ACCEPT, "text/event-stream"))
        .compose(req -> req.send())
        .onSuccess(resp -> {
          if (resp.statusCode() != 200) {
            refused++;
            resp.body();
            return;
          }
          resp.exceptionHandler(e -> { }); // cut at the run's end; the polls decide when an account is done
          resp.handler(RecordParser.newDelimited("\n", line -> {
            String text = line.toString(StandardCharsets.UTF_8);
            if (text.startsWith("data: ")) onAccount.accept(new JsonObject(text.substring(6)));
          }));
        })
        .onFailure(e -> refused++);
  }

  /** Streams that answered other than 200 or could not be opened. */
  int refused() {
    return refused;
  }

  Future<Void> close() {
    return client.close();
  }
}
