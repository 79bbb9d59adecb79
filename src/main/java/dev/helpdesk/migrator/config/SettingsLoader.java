package dev.helpdesk.migrator.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads {@code conf/config.json} (or {@code CONFIG_FILE}) and lets the environment override
 * any key of the file. Only keys the file names are taken from the environment, so an
 * unrelated variable can never leak into the settings.
 */
public final class SettingsLoader {
  private SettingsLoader() {}

  public static Future<Settings> load(Vertx vertx) {
    return loadJson(vertx, System.getenv("CONFIG_FILE")).map(Settings::from);
  }

  public static Future<JsonObject> loadJson(Vertx vertx, String configFile) {
    Path file = Path.of(configFile == null || configFile.isBlank() ? "conf/config.json" : configFile);
    if (!Files.isReadable(file)) {
      return Future.failedFuture(new ConfigException("CONFIG_FILE", "cannot read " + file.toAbsolutePath()));
    }
    JsonObject fileJson;
    try {
      fileJson = new JsonObject(Files.readString(file));
    } catch (Exception e) {
      return Future.failedFuture(new ConfigException("CONFIG_FILE", file + " is not a JSON object"));
    }
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setScanPeriod(0)
        .addStore(new ConfigStoreOptions().setType("json").setConfig(fileJson))
        .addStore(new ConfigStoreOptions().setType("env")
            .setConfig(new JsonObject().put("raw-data", true).put("keys", new JsonArray(fileJson.fieldNames().stream().toList()))));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig().andThen(ar -> retriever.close());
  }
}
