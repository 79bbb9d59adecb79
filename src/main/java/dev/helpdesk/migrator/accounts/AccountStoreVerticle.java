package dev.helpdesk.migrator.accounts;

import dev.helpdesk.migrator.accounts.StartRules.Origin;
import dev.helpdesk.migrator.bus.Bus;
import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/** Serves the accounts store on the event bus. */
public final class AccountStoreVerticle extends VerticleBase {
  private final Settings settings;
  private AccountCache cache;

  public AccountStoreVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    cache = new AccountCache(vertx, settings.pg().uri(), settings.http().accountCacheMs());
    cache.start();
    AccountStore store = new AccountStore(Database.pool(vertx, settings.pg()), settings.pg().queryTimeoutMs(),
        settings.migration().recentDays(), cache);
    var bus = vertx.eventBus();
    bus.<JsonObject>localConsumer(Bus.ACCOUNT_CHANGED, m -> cache.invalidate(m.body().getString("accountId")));
    bus.<JsonObject>consumer(Bus.ACCOUNT_UPSERT, m ->
        Bus.reply(m, store.upsert(m.body().getString("accountId"), m.body().getString("name"))));
    bus.<JsonObject>consumer(Bus.ACCOUNT_GET, m -> Bus.reply(m, store.get(m.body().getString("accountId"))));
    bus.<JsonObject>consumer(Bus.ACCOUNTS_GET_MANY, m ->
        Bus.reply(m, store.getMany(AccountStore.strings(m.body().getJsonArray("accountIds")))));
    bus.<JsonObject>consumer(Bus.ACCOUNT_CHECKED, m -> Bus.reply(m, store.recordCheck(
        m.body().getString("accountId"), m.body().getBoolean("exists"), m.body().getInteger("threadCount"))));
    bus.<JsonObject>consumer(Bus.MIGRATION_START, m -> {
      JsonObject body = m.body();
      Origin origin = Origin.valueOf(body.getString("origin").toUpperCase());
      Bus.reply(m, store.start(body.getString("accountId"), origin, body.getBoolean("force", false))
          .onSuccess(answer -> {
            if (answer.getBoolean("accepted")) {
              vertx.eventBus().publish(Bus.JOBS_WAKEUP, new JsonObject().put("accountId", body.getString("accountId")));
            }
          }));
    });
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return cache.close();
  }
}
