package dev.helpdesk.loadtests.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --key value} / {@code --key=value} options; {@code --set} and {@code --sweep} may repeat. */
final class Options {
  private final Map<String, String> single = new LinkedHashMap<>();
  private final Map<String, List<String>> multi = new LinkedHashMap<>();

  static Options parse(String[] args, int from) {
    Options o = new Options();
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a);
      String key;
      String value;
      int eq = a.indexOf('=');
      if (eq > 0) {
        key = a.substring(2, eq);
        value = a.substring(eq + 1);
      } else {
        key = a.substring(2);
        boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
        value = flag ? "true" : args[++i];
      }
      o.single.put(key, value);
      o.multi.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return o;
  }

  /** Fills keys not given on the command line (presets). */
  Options defaults(Map<String, String> preset) {
    preset.forEach((k, v) -> {
      if (!single.containsKey(k)) {
        single.put(k, v);
        multi.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
      }
    });
    return this;
  }

  /** Adds a value to a repeatable key unless the command line already gave that key. */
  Options defaultsMulti(String key, List<String> values) {
    if (!multi.containsKey(key)) multi.put(key, new ArrayList<>(values));
    return this;
  }

  String str(String key, String fallback) {
    return single.getOrDefault(key, fallback);
  }

  int integer(String key, int fallback) {
    String v = single.get(key);
    return v == null ? fallback : Integer.parseInt(v.replace("_", ""));
  }

  long lng(String key, long fallback) {
    String v = single.get(key);
    return v == null ? fallback : Long.parseLong(v.replace("_", ""));
  }

  double dbl(String key, double fallback) {
    String v = single.get(key);
    return v == null ? fallback : Double.parseDouble(v);
  }

  boolean flag(String key) {
    return Boolean.parseBoolean(single.getOrDefault(key, "false"));
  }

  List<String> all(String key) {
    return multi.getOrDefault(key, List.of());
  }

  Map<String, String> asMap() {
    return Map.copyOf(single);
  }
}
