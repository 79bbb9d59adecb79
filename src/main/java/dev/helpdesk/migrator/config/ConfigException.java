package dev.helpdesk.migrator.config;

/** A setting that is missing or unsafe. The message names the key and never echoes a secret value. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String key, String problem) {
    super("configuration " + key + ": " + problem);
  }
}
