package dev.helpdesk.migrator.migration;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * The contexts runs execute on, apart from the runner's own. A run's pipeline is CPU work on its
 * context (decoding pages, building the SDK's requests, batching, downloads); with every run on the
 * runner's event loop, one account's recent phase held up the other accounts' channels phases by up
 * to 0.8 s at a time (measured: 20 accounts starting at once), and the claims and heartbeats with
 * them. Worker contexts: their bursts stay off the event loops that answer the API, and each runs
 * its tasks in order, so a run's own state still needs no locks. What runs share ({@link Lanes},
 * the DynamoDB source, the media limiter) is safe to use from several of them.
 */
final class RunContexts {
  private final Vertx vertx;
  private final List<Context> contexts;
  private final String deploymentId;
  private int next;

  private RunContexts(Vertx vertx, List<Context> contexts, String deploymentId) {
    this.vertx = vertx;
    this.contexts = contexts;
    this.deploymentId = deploymentId;
  }

  /** One context per core, at least two: more would only queue the same CPU work in more places. */
  static Future<RunContexts> deploy(Vertx vertx) {
    int count = Math.max(2, Runtime.getRuntime().availableProcessors());
    List<Context> contexts = new ArrayList<>();
    return vertx.deployVerticle(() -> new Holder(contexts),
            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(count))
        .map(id -> new RunContexts(vertx, List.copyOf(contexts), id));
  }

  /** The contexts in turn; called on the runner's context only. */
  Context next() {
    Context c = contexts.get(next);
    next = (next + 1) % contexts.size();
    return c;
  }

  int size() {
    return contexts.size();
  }

  Future<Void> close() {
    return vertx.undeploy(deploymentId);
  }

  /** Does nothing but own a context. */
  private static final class Holder extends VerticleBase {
    private final List<Context> contexts;

    Holder(List<Context> contexts) {
      this.contexts = contexts;
    }

    @Override
    public Future<?> start() {
      synchronized (contexts) {
        contexts.add(context);
      }
      return Future.succeededFuture();
    }
  }
}
