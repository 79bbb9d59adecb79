package dev.helpdesk.migrator.api;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a Server-Sent Events stream the way the app does (fetch with a bearer header, not
 * EventSource): the response body line by line as it arrives, on a thread of its own, into a queue
 * of events, comment lines and the end of the stream, so a test can wait for each with a time-out.
 */
final class SseClient implements AutoCloseable {
  /** One item of the stream: an event (id, event, data), a comment (": ..."), or the end. */
  record Item(String id, String event, String data, String comment, boolean end) {
    JsonObject json() {
      return new JsonObject(data);
    }

    long idNumber() {
      return Long.parseLong(id);
    }

    boolean isEvent() {
      return !end && comment == null;
    }
  }

  final int status;
  final String body;
  final HttpResponse<InputStream> response;
  private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
  private final InputStream in;

  private SseClient(HttpResponse<InputStream> response) throws IOException {
    this.response = response;
    this.status = response.statusCode();
    if (status != 200) {
      boolean gzip = response.headers().firstValue("content-encoding").filter("gzip"::equalsIgnoreCase).isPresent();
      try (InputStream s = gzip ? new java.util.zip.GZIPInputStream(response.body()) : response.body()) {
        this.body = new String(s.readAllBytes(), StandardCharsets.UTF_8);
      }
      this.in = null;
      return;
    }
    this.body = null;
    this.in = response.body();
    Thread reader = new Thread(this::read, "sse-reader");
    reader.setDaemon(true);
    reader.start();
  }

  static SseClient open(String base, String path, String token, String lastEventId) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET().header("Accept", "text/event-stream")
        // as a browser's fetch does: the server must still send the events uncompressed, one by one
        .header("Accept-Encoding", "gzip, deflate");
    if (token != null) b.header("Authorization", "Bearer " + token);
    if (lastEventId != null) b.header("Last-Event-ID", lastEventId);
    try {
      // returns once the head is in: the body is read as it streams
      return new SseClient(client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream()).get(20, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException("GET " + path + " failed: " + e, e);
    }
  }

  String contentType() {
    return response.headers().firstValue("content-type").orElse("");
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String id = null;
      String event = null;
      StringBuilder data = null;
      String line;
      while ((line = r.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) items.add(new Item(id, event, data.toString(), null, false));
          id = null;
          event = null;
          data = null;
        } else if (line.startsWith(":")) {
          items.add(new Item(null, null, null, line.substring(1).trim(), false));
        } else if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          String d = line.substring(5);
          if (d.startsWith(" ")) d = d.substring(1);
          data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
        }
      }
    } catch (IOException closed) {
      // the test closed the stream, or the server dropped it: both are the end
    }
    items.add(new Item(null, null, null, null, true));
  }

  /** The next item within {@code timeoutMs}, or null. */
  Item next(long timeoutMs) throws InterruptedException {
    return items.poll(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** The next event (heartbeats skipped) within {@code timeoutMs}, an end item, or null. */
  Item nextEvent(long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (true) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) return null;
      Item i = next(left);
      if (i == null || !(i.comment() != null)) return i;
    }
  }

  /** Every item that arrives within {@code ms}. */
  List<Item> drain(long ms) throws InterruptedException {
    List<Item> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + ms;
    long left;
    while ((left = deadline - System.currentTimeMillis()) > 0) {
      Item i = next(left);
      if (i == null) break;
      out.add(i);
      if (i.end()) break;
    }
    return out;
  }

  @Override
  public void close() {
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // already gone
      }
    }
  }
}
