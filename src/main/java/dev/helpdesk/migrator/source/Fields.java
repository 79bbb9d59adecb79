package dev.helpdesk.migrator.source;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Typed reads of one item's attributes that note every problem instead of throwing, so a bad record
 * names all that is wrong with it at once. An optional attribute holding NULL counts as absent.
 * On a problem the getters return null (or 0) and the caller must check {@link #ok()}.
 */
final class Fields {
  private final Map<String, AttributeValue> item;
  private StringBuilder problems;

  Fields(Map<String, AttributeValue> item) {
    this.item = item;
  }

  boolean ok() {
    return problems == null;
  }

  String problems() {
    return problems == null ? "" : problems.toString();
  }

  String requiredS(String name) {
    AttributeValue v = item.get(name);
    if (v == null) return missing(name);
    if (v.s() == null) return wrongType(name, "S", v);
    return v.s();
  }

  String optionalS(String name) {
    AttributeValue v = item.get(name);
    if (v == null || isNull(v)) return null;
    if (v.s() == null) return wrongType(name, "S", v);
    return v.s();
  }

  long requiredLong(String name) {
    AttributeValue v = item.get(name);
    if (v == null) {
      missing(name);
      return 0;
    }
    if (v.n() == null) {
      wrongType(name, "N", v);
      return 0;
    }
    Long n = integer(name, v.n());
    return n == null ? 0 : n;
  }

  Long optionalLong(String name) {
    AttributeValue v = item.get(name);
    if (v == null || isNull(v)) return null;
    if (v.n() == null) return wrongType(name, "N", v);
    return integer(name, v.n());
  }

  Map<String, AttributeValue> requiredM(String name) {
    AttributeValue v = item.get(name);
    if (v == null) return missing(name);
    if (v.type() != AttributeValue.Type.M) return wrongType(name, "M", v);
    return v.m();
  }

  Map<String, AttributeValue> optionalM(String name) {
    AttributeValue v = item.get(name);
    if (v == null || isNull(v)) return null;
    if (v.type() != AttributeValue.Type.M) return wrongType(name, "M", v);
    return v.m();
  }

  List<String> optionalSs(String name) {
    AttributeValue v = item.get(name);
    if (v == null || isNull(v)) return null;
    if (v.type() != AttributeValue.Type.SS) return wrongType(name, "SS", v);
    return v.ss();
  }

  /** The attributes not in {@code named}, as a DynamoDB-JSON object; null when there are none. */
  String extraJson(Set<String> named) {
    StringBuilder sb = null;
    for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
      if (named.contains(e.getKey())) continue;
      if (sb == null) sb = new StringBuilder(64).append('{');
      else sb.append(',');
      AttributeJson.appendString(sb, e.getKey());
      sb.append(':');
      AttributeJson.appendDynamo(sb, e.getValue());
    }
    return sb == null ? null : sb.append('}').toString();
  }

  static boolean isNull(AttributeValue v) {
    return Boolean.TRUE.equals(v.nul());
  }

  /** DynamoDB's own type names, as a reason should show them. */
  static String typeName(AttributeValue v) {
    AttributeValue.Type t = v.type();
    return switch (t) {
      case NUL -> "NULL";
      case UNKNOWN_TO_SDK_VERSION -> "unknown";
      default -> t.name();
    };
  }

  // Epoch milliseconds and counts are integers; DynamoDB may still hand back "1.7E12"-like forms.
  private Long integer(String name, String n) {
    try {
      return Long.parseLong(n);
    } catch (NumberFormatException notPlain) {
      try {
        return new BigDecimal(n).longValueExact();
      } catch (NumberFormatException | ArithmeticException e) {
        problem(name + " must be an integer, got " + n);
        return null;
      }
    }
  }

  private <T> T missing(String name) {
    problem("missing " + name);
    return null;
  }

  private <T> T wrongType(String name, String expected, AttributeValue v) {
    problem(name + " must be " + expected + ", got " + typeName(v));
    return null;
  }

  private void problem(String p) {
    if (problems == null) problems = new StringBuilder(p);
    else problems.append("; ").append(p);
  }
}
