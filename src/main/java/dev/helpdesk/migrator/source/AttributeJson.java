package dev.helpdesk.migrator.source;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * AttributeValues as JSON text, in two forms.
 *
 * <p>DynamoDB-JSON ({"S": ...}, {"N": "..."}, {"M": {...}}, ...) is lossless: it keeps the type of
 * every value, so attributes the contract does not name can be written back exactly. Plain JSON
 * (objects, arrays, strings, numbers) is what customer/author/telephony look like to API clients;
 * numbers keep their exact decimal text. Strings are escaped, so U+0000 becomes the six characters
 * of its escape and a PostgreSQL text column can hold it (jsonb cannot: it rejects \u0000).
 *
 * <p>Writing runs per item on the hot path, hence plain StringBuilder appends and no tree objects.
 */
public final class AttributeJson {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private AttributeJson() {}

  public static String dynamoJson(Map<String, AttributeValue> map) {
    StringBuilder sb = new StringBuilder(64);
    appendDynamoMap(sb, map);
    return sb.toString();
  }

  public static String dynamoJson(AttributeValue value) {
    StringBuilder sb = new StringBuilder(32);
    appendDynamo(sb, value);
    return sb.toString();
  }

  public static String plainJson(AttributeValue value) {
    StringBuilder sb = new StringBuilder(64);
    appendPlain(sb, value);
    return sb.toString();
  }

  public static String plainJson(Map<String, AttributeValue> map) {
    StringBuilder sb = new StringBuilder(64);
    appendPlainMap(sb, map);
    return sb.toString();
  }

  static void appendDynamoMap(StringBuilder sb, Map<String, AttributeValue> map) {
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, AttributeValue> e : map.entrySet()) {
      if (!first) sb.append(',');
      first = false;
      appendString(sb, e.getKey());
      sb.append(':');
      appendDynamo(sb, e.getValue());
    }
    sb.append('}');
  }

  static void appendDynamo(StringBuilder sb, AttributeValue v) {
    switch (v.type()) {
      case S -> appendString(tagged(sb, "S"), v.s());
      case N -> appendString(tagged(sb, "N"), v.n());
      case B -> appendString(tagged(sb, "B"), base64(v.b()));
      case BOOL -> tagged(sb, "BOOL").append(v.bool().booleanValue());
      case NUL -> tagged(sb, "NULL").append("true");
      case SS -> stringArray(tagged(sb, "SS"), v.ss());
      case NS -> stringArray(tagged(sb, "NS"), v.ns());
      case BS -> {
        tagged(sb, "BS").append('[');
        List<SdkBytes> bs = v.bs();
        for (int i = 0; i < bs.size(); i++) {
          if (i > 0) sb.append(',');
          appendString(sb, base64(bs.get(i)));
        }
        sb.append(']');
      }
      case M -> appendDynamoMap(tagged(sb, "M"), v.m());
      case L -> {
        tagged(sb, "L").append('[');
        List<AttributeValue> l = v.l();
        for (int i = 0; i < l.size(); i++) {
          if (i > 0) sb.append(',');
          appendDynamo(sb, l.get(i));
        }
        sb.append(']');
      }
      default -> throw new IllegalArgumentException("attribute of a type this SDK does not know: " + v);
    }
    sb.append('}');
  }

  static void appendPlainMap(StringBuilder sb, Map<String, AttributeValue> map) {
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, AttributeValue> e : map.entrySet()) {
      if (!first) sb.append(',');
      first = false;
      appendString(sb, e.getKey());
      sb.append(':');
      appendPlain(sb, e.getValue());
    }
    sb.append('}');
  }

  static void appendPlain(StringBuilder sb, AttributeValue v) {
    switch (v.type()) {
      case S -> appendString(sb, v.s());
      case N -> appendNumber(sb, v.n());
      case B -> appendString(sb, base64(v.b()));
      case BOOL -> sb.append(v.bool().booleanValue());
      case NUL -> sb.append("null");
      case SS -> stringArray(sb, v.ss());
      case NS -> {
        sb.append('[');
        List<String> ns = v.ns();
        for (int i = 0; i < ns.size(); i++) {
          if (i > 0) sb.append(',');
          appendNumber(sb, ns.get(i));
        }
        sb.append(']');
      }
      case BS -> {
        sb.append('[');
        List<SdkBytes> bs = v.bs();
        for (int i = 0; i < bs.size(); i++) {
          if (i > 0) sb.append(',');
          appendString(sb, base64(bs.get(i)));
        }
        sb.append(']');
      }
      case M -> appendPlainMap(sb, v.m());
      case L -> {
        sb.append('[');
        List<AttributeValue> l = v.l();
        for (int i = 0; i < l.size(); i++) {
          if (i > 0) sb.append(',');
          appendPlain(sb, l.get(i));
        }
        sb.append(']');
      }
      default -> throw new IllegalArgumentException("attribute of a type this SDK does not know: " + v);
    }
  }

  /** Appends {@code s} as a JSON string literal. */
  public static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    int n = s.length();
    int clean = 0; // start of the run of characters that need no escape
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      sb.append(s, clean, i);
      clean = i + 1;
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    sb.append(s, clean, n).append('"');
  }

  /**
   * DynamoDB sends numbers in canonical decimal form, which is valid JSON as it is; anything else
   * (".5", "+1", "5.") goes through BigDecimal, whose text is valid JSON for the same value.
   */
  static void appendNumber(StringBuilder sb, String n) {
    if (isJsonNumber(n)) sb.append(n);
    else sb.append(new BigDecimal(n));
  }

  static boolean isJsonNumber(String s) {
    int n = s.length();
    int i = 0;
    if (i < n && s.charAt(i) == '-') i++;
    if (i >= n) return false;
    if (s.charAt(i) == '0') {
      i++;
    } else {
      int start = i;
      while (i < n && isDigit(s.charAt(i))) i++;
      if (i == start) return false;
    }
    if (i < n && s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && isDigit(s.charAt(i))) i++;
      if (i == start) return false;
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
      int start = i;
      while (i < n && isDigit(s.charAt(i))) i++;
      if (i == start) return false;
    }
    return i == n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static StringBuilder tagged(StringBuilder sb, String tag) {
    return sb.append("{\"").append(tag).append("\":");
  }

  private static void stringArray(StringBuilder sb, List<String> values) {
    sb.append('[');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) sb.append(',');
      appendString(sb, values.get(i));
    }
    sb.append(']');
  }

  private static String base64(SdkBytes bytes) {
    return Base64.getEncoder().encodeToString(bytes.asByteArrayUnsafe());
  }

  // Parsing is for checkpoints and for writing extras back: rare, so a Vert.x JsonObject is fine here.

  /** The inverse of {@link #dynamoJson(Map)}. */
  public static Map<String, AttributeValue> parseDynamoMap(String json) {
    return toMap(new JsonObject(json));
  }

  /** The inverse of {@link #dynamoJson(AttributeValue)}. */
  public static AttributeValue parseDynamo(String json) {
    return toValue(new JsonObject(json));
  }

  private static Map<String, AttributeValue> toMap(JsonObject o) {
    Map<String, AttributeValue> map = new LinkedHashMap<>(Math.max(4, o.size() * 2));
    for (Map.Entry<String, Object> e : o) {
      if (!(e.getValue() instanceof JsonObject v)) {
        throw new IllegalArgumentException("attribute " + e.getKey() + " is not a typed DynamoDB-JSON value");
      }
      map.put(e.getKey(), toValue(v));
    }
    return map;
  }

  private static AttributeValue toValue(JsonObject o) {
    if (o.size() != 1) throw new IllegalArgumentException("a DynamoDB-JSON value has exactly one type key: " + o);
    String tag = o.fieldNames().iterator().next();
    return switch (tag) {
      case "S" -> AttributeValue.fromS(o.getString(tag));
      case "N" -> AttributeValue.fromN(o.getString(tag));
      case "B" -> AttributeValue.fromB(SdkBytes.fromByteArrayUnsafe(Base64.getDecoder().decode(o.getString(tag))));
      case "BOOL" -> AttributeValue.fromBool(o.getBoolean(tag));
      case "NULL" -> AttributeValue.fromNul(true);
      case "SS" -> AttributeValue.fromSs(strings(o.getJsonArray(tag)));
      case "NS" -> AttributeValue.fromNs(strings(o.getJsonArray(tag)));
      case "BS" -> {
        List<SdkBytes> bs = new ArrayList<>();
        for (String s : strings(o.getJsonArray(tag))) bs.add(SdkBytes.fromByteArrayUnsafe(Base64.getDecoder().decode(s)));
        yield AttributeValue.fromBs(bs);
      }
      case "M" -> AttributeValue.fromM(toMap(o.getJsonObject(tag)));
      case "L" -> {
        JsonArray a = o.getJsonArray(tag);
        List<AttributeValue> l = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) l.add(toValue(a.getJsonObject(i)));
        yield AttributeValue.fromL(l);
      }
      default -> throw new IllegalArgumentException("unknown DynamoDB-JSON type " + tag);
    };
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) out.add(a.getString(i));
    return out;
  }
}
