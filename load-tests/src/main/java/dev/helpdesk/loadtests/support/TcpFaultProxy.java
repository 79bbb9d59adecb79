package dev.helpdesk.loadtests.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of any server (PostgreSQL in the tests) that fails the way a network does:
 * a black hole (connections stay open, no byte moves either way, new connections are accepted and
 * never answered) and connection cuts. Healing a black hole lets the held bytes flow on, as a
 * network that recovers would.
 */
public final class TcpFaultProxy implements AutoCloseable {
  /** One client connection and its upstream (null until connected). */
  private final class Pair {
    final NetSocket client;
    volatile NetSocket upstream;

    Pair(NetSocket client) {
      this.client = client;
    }

    void connect() {
      client.pause();
      netClient.connect(targetPort, targetHost).onComplete(ar -> {
        if (ar.failed()) {
          client.close();
          pairs.remove(this);
          return;
        }
        upstream = ar.result();
        forward(client, upstream);
        forward(upstream, client);
        upstream.closeHandler(v -> close());
        if (!blackhole) {
          client.resume();
          upstream.resume();
        } else {
          upstream.pause();
        }
      });
    }

    void pause() {
      client.pause();
      NetSocket u = upstream;
      if (u != null) u.pause();
    }

    void resume() {
      NetSocket u = upstream;
      if (u == null) {
        connect();
        return;
      }
      client.resume();
      u.resume();
    }

    void close() {
      pairs.remove(this);
      client.close();
      NetSocket u = upstream;
      if (u != null) u.close();
    }

    private void forward(NetSocket from, NetSocket to) {
      from.handler(buf -> {
        to.write(buf);
        if (to.writeQueueFull()) {
          from.pause();
          to.drainHandler(v -> {
            if (!blackhole) from.resume();
          });
        }
      });
    }
  }

  private final Vertx vertx;
  private final String targetHost;
  private final int targetPort;
  private final NetClient netClient;
  private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile boolean blackhole;
  private NetServer server;

  private TcpFaultProxy(Vertx vertx, String targetHost, int targetPort) {
    this.vertx = vertx;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.netClient = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5000));
  }

  public static Future<TcpFaultProxy> start(Vertx vertx, String targetHost, int targetPort) {
    TcpFaultProxy p = new TcpFaultProxy(vertx, targetHost, targetPort);
    return vertx.createNetServer().connectHandler(p::accept).listen(0, "127.0.0.1").map(s -> {
      p.server = s;
      return p;
    });
  }

  public int port() {
    return server.actualPort();
  }

  /** Connections accepted since start, black-holed ones included. */
  public int accepted() {
    return accepted.get();
  }

  public int open() {
    return pairs.size();
  }

  public boolean blackhole() {
    return blackhole;
  }

  /** On: every connection, open or new, goes silent (held, never answered). Off: bytes flow again. */
  public TcpFaultProxy blackhole(boolean on) {
    vertx.runOnContext(v -> {
      blackhole = on;
      pairs.forEach(on ? Pair::pause : Pair::resume);
    });
    // the flag is read by new connections too; set it at once so the caller's next step sees it
    blackhole = on;
    return this;
  }

  /** Closes every open connection, as a firewall or a restarted middlebox would. */
  public int cutAll() {
    int n = pairs.size();
    vertx.runOnContext(v -> pairs.forEach(Pair::close));
    return n;
  }

  private void accept(NetSocket client) {
    accepted.incrementAndGet();
    Pair pair = new Pair(client);
    pairs.add(pair);
    client.closeHandler(v -> pair.close());
    if (blackhole) {
      client.pause(); // held: nothing read, nothing answered, until the hole heals
    } else {
      pair.connect();
    }
  }

  @Override
  public void close() {
    pairs.forEach(Pair::close);
    if (server != null) server.close();
    netClient.close();
  }
}
