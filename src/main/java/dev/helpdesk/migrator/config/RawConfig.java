package dev.helpdesk.migrator.config;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.Arrays;
import java.util.List;

/**
 * Typed, validating reads of the flat key/value configuration. Values may come from
 * the JSON file (typed) or the environment (always strings), so every reader accepts both.
 */
final class RawConfig {
  private final JsonObject json;

  RawConfig(JsonObject json) {
    this.json = json;
  }

  String string(String key, String fallback) {
    Object v = json.getValue(key);
    if (v == null) return fallback;
    String s = String.valueOf(v).trim();
    return s.isEmpty() ? fallback : s;
  }

  String required(String key) {
    String s = string(key, null);
    if (s == null) throw new ConfigException(key, "is required");
    return s;
  }

  String secret(String key, int minBytes) {
    String s = required(key);
    if (s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < minBytes) {
      throw new ConfigException(key, "must be at least " + minBytes + " bytes");
    }
    return s;
  }

  /** Comma-separated list of secrets (current, previous); each one must be long enough. */
  List<String> secrets(String key, int minBytes) {
    List<String> values = list(key);
    if (values.isEmpty()) throw new ConfigException(key, "is required");
    for (String v : values) {
      if (v.length() < minBytes) throw new ConfigException(key, "every token must be at least " + minBytes + " characters");
    }
    return values;
  }

  List<String> list(String key) {
    String s = string(key, "");
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  long positiveLong(String key, long fallback) {
    long v = longValue(key, fallback);
    if (v <= 0) throw new ConfigException(key, "must be a positive integer, got " + v);
    return v;
  }

  int positiveInt(String key, int fallback) {
    long v = positiveLong(key, fallback);
    if (v > Integer.MAX_VALUE) throw new ConfigException(key, "is too large");
    return (int) v;
  }

  int nonNegativeInt(String key, int fallback) {
    long v = longValue(key, fallback);
    if (v < 0 || v > Integer.MAX_VALUE) throw new ConfigException(key, "must be zero or a positive integer");
    return (int) v;
  }

  int port(String key, int fallback) {
    long v = longValue(key, fallback);
    if (v < 0 || v > 65535) throw new ConfigException(key, "must be a port number (0-65535)");
    return (int) v;
  }

  double ratio(String key, double fallback) {
    Object v = json.getValue(key);
    double d;
    try {
      d = v == null || String.valueOf(v).isBlank() ? fallback : Double.parseDouble(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be a number between 0 and 1");
    }
    if (!(d > 0 && d <= 1)) throw new ConfigException(key, "must be a number in (0, 1]");
    return d;
  }

  URI httpUrl(String key, String fallback) {
    String s = fallback == null ? required(key) : string(key, fallback);
    try {
      URI uri = new URI(s);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new ConfigException(key, "must be an absolute http(s) URL");
      }
      return uri;
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(key, "is not a valid URL");
    }
  }

  private long longValue(String key, long fallback) {
    Object v = json.getValue(key);
    if (v == null || String.valueOf(v).isBlank()) return fallback;
    if (v instanceof Number n) {
      if (n.doubleValue() != Math.rint(n.doubleValue())) throw new ConfigException(key, "must be an integer");
      return n.longValue();
    }
    try {
      return Long.parseLong(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "must be an integer");
    }
  }
}
