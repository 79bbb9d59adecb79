package dev.helpdesk.migrator.reliability;

import dev.helpdesk.migrator.support.TestJwt;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static dev.helpdesk.migrator.support.TestService.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * 10,000 hostile requests over raw sockets (so nothing is cleaned up by a client library):
 * random routes, methods, credentials, headers and bodies. Not one may answer 5xx. A connection
 * the server closes without a status line (a request line it cannot parse) counts as -1.
 */
@ExtendWith(VertxExtension.class)
class FuzzTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).start();
    svc.simulator.faults().addUnknownAccount("fz-a");
    svc.createAccount("fz-a");
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void tenThousandHostileRequestsGetNo5xx() throws IOException {
    long seed = Long.getLong("migrator.seed", System.nanoTime());
    Random r = new Random(seed);
    int port = Integer.parseInt(svc.http.base().substring(svc.http.base().lastIndexOf(':') + 1));
    Map<Integer, Integer> byStatus = new TreeMap<>();
    String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "G\u00c9T", "TRACE"};
    String[] paths = {"/v1/accounts", "/v1/accounts/fz-a", "/v1/accounts/fz-a/start-migration", "/v1/migrate",
        "/v1/accounts/fz-a/threads", "/v1/threads/t-1/messages", "/v1/attachments/x", "/v1/accounts/fz-a/dead-letters",
        "/v1/accounts/fz-a/dead-letters/retry", "/health/ready", "/v1/accounts/%00", "/v1/accounts/%ZZ",
        "/v1/accounts/" + "a".repeat(3000), "/v1/../etc/passwd", "/v1/accounts/fz-a/threads?limit=-1&cursor=%%%",
        "/v1/threads/t-1/messages?limit=99999999999999999999", "/v1/accounts/fz-a?x=" + "%F0%9F%98%80".repeat(50), "//", "*"};
    String[] tokens = {null, ADMIN, CONVERSATIONS_CALLER, svc.mobileToken("fz-a"), "x", "a.b.c",
        TestJwt.unsigned(new JsonObject().put("sub", "u").put("accounts", List.of("fz-a")).put("exp", 9_999_999_999L)),
        "\u00ff\u00fe", "Bearer"};
    String[] bodies = {"", "{", "{}", "null", "[]", "{\"accountId\":\"fz-a\",\"name\":\"n\",\"force\":true}",
        "{\"accountId\":" + "[".repeat(5000) + "}", "{\"accountId\":\"\\u0000\",\"name\":\"\\ud800\"}",
        "{\"accountId\":1e999,\"name\":-0}", "\u0000\u0001\u0002", "{\"a\":\"" + "x".repeat(20_000) + "\"}"};

    for (int i = 0; i < 10_000; i++) {
      String method = methods[r.nextInt(methods.length)];
      String path = paths[r.nextInt(paths.length)];
      String token = tokens[r.nextInt(tokens.length)];
      String body = r.nextInt(3) == 0 ? null : bodies[r.nextInt(bodies.length)];
      StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      if (token != null) req.append("Authorization: Bearer ").append(token).append("\r\n");
      if (r.nextInt(10) == 0) req.append("Content-Type: text/plain; charset=\u00ff\r\n");
      if (r.nextInt(20) == 0) req.append("X-Junk: ").append("j".repeat(r.nextInt(12_000))).append("\r\n");
      byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      boolean chunked = body != null && r.nextInt(8) == 0;
      if (chunked) req.append("Transfer-Encoding: chunked\r\n");
      else if (body != null) req.append("Content-Length: ").append(payload.length).append("\r\n");
      req.append("Connection: close\r\n\r\n");
      int status = send(port, req.toString().getBytes(StandardCharsets.ISO_8859_1), payload, chunked);
      byStatus.merge(status, 1, Integer::sum);
      assertTrue(status < 500 || status == 503 && path.startsWith("/health"),
          "request " + i + " (seed " + seed + "): " + method + " " + path + " answered " + status);
    }
    System.out.println("fuzz: 10,000 requests by status " + byStatus + " (seed " + seed + ")");
  }

  /** Sends one request and reads the status line; -1 when the server closed without answering. */
  private static int send(int port, byte[] head, byte[] body, boolean chunked) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(head);
      if (chunked) {
        out.write((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      } else {
        out.write(body);
      }
      out.flush();
      InputStream in = s.getInputStream();
      byte[] line = new byte[12];
      int n = in.readNBytes(line, 0, 12);
      if (n < 12) return -1;
      return Integer.parseInt(new String(line, 9, 3, StandardCharsets.US_ASCII));
    } catch (java.net.SocketException reset) {
      return -1;
    }
  }
}
