package dev.helpdesk.migrator.source;

import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * One Query page. An empty page can still carry a LastEvaluatedKey (DynamoDB stops at its read
 * budget, not at a match), so emptiness never means "done": only {@link #isLast()} does.
 *
 * @param lastEvaluatedKey the exclusive start key of the next page; null on the last page
 */
public record Page(List<Map<String, AttributeValue>> items, Map<String, AttributeValue> lastEvaluatedKey) {

  public boolean isLast() {
    return lastEvaluatedKey == null || lastEvaluatedKey.isEmpty();
  }
}
