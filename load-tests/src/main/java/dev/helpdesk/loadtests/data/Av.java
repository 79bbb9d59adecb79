package dev.helpdesk.loadtests.data;

import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Short AttributeValue constructors: the generator builds thousands of them. */
final class Av {
  private Av() {}

  static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }

  static AttributeValue m(Map<String, AttributeValue> v) {
    return AttributeValue.fromM(v);
  }
}
