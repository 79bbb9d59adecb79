package dev.helpdesk.migrator.conversations;

import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.ops.Meters;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/** Serves Conversations' API on the event bus, so one breaker guards every caller of the instance. */
public final class ConversationsVerticle extends VerticleBase {
  private final Settings.Conversations settings;
  private ConversationsClient client;
  private final Meters.Group meters = new Meters.Group();

  public ConversationsVerticle(Settings.Conversations settings) {
    this.settings = settings;
  }

  /** The whole retry schedule, used when the caller did not name a tighter budget. */
  private long fullBudgetMs() {
    return settings.maxAttempts() * (settings.timeoutMs() + settings.backoffMaxMs());
  }

  @Override
  public Future<?> start() {
    client = new ConversationsClient(vertx, settings);
    var bus = vertx.eventBus();
    bus.<JsonObject>consumer(Bus.CONVERSATIONS_CHECK, m -> Bus.reply(m,
        client.check(m.body().getString("accountId"), m.body().getLong("budgetMs", fullBudgetMs()))));
    bus.<JsonObject>consumer(Bus.CONVERSATIONS_CHANNELS, m -> Bus.reply(m,
        client.channels(m.body().getString("accountId"), m.body().getLong("budgetMs", fullBudgetMs()))));
    bus.<JsonObject>consumer(Bus.CONVERSATIONS_STATE, m ->
        m.reply(new JsonObject().put("breaker", client.breakerState())));
    bus.<JsonObject>localConsumer(Bus.CONVERSATIONS_WARM_UP, m -> ConversationsWarmUp.run(vertx, settings, m.body().getInteger("rounds"))
        .onComplete(ar -> m.reply(new JsonObject())));
    meters.breaker("conversations", client::breakerState);
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    meters.remove();
    return client == null ? Future.succeededFuture() : client.close();
  }
}
