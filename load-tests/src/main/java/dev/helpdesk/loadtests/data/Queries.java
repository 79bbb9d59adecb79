package dev.helpdesk.loadtests.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.Select;

/** Queries that follow LastEvaluatedKey to the end (a page stops at 1 MB). */
public final class Queries {
  private Queries() {}

  public static CompletableFuture<List<Map<String, AttributeValue>>> all(DynamoDbAsyncClient dynamo, QueryRequest query) {
    List<Map<String, AttributeValue>> out = new ArrayList<>();
    return pages(dynamo, query, null, page -> out.addAll(page.items())).thenApply(v -> out);
  }

  /** The number of matching items, counted by DynamoDB (Select=COUNT) over all pages. */
  public static CompletableFuture<Long> count(DynamoDbAsyncClient dynamo, QueryRequest query) {
    long[] total = {0};
    QueryRequest counting = query.toBuilder().select(Select.COUNT).build();
    return pages(dynamo, counting, null, page -> total[0] += page.count()).thenApply(v -> total[0]);
  }

  /** All items of one partition key: {@code keyName = keyValue}. */
  public static QueryRequest byKey(String table, String keyName, String keyValue) {
    return QueryRequest.builder()
        .tableName(table)
        .keyConditionExpression("#k = :v")
        .expressionAttributeNames(Map.of("#k", keyName))
        .expressionAttributeValues(Map.of(":v", AttributeValue.fromS(keyValue)))
        .build();
  }

  private static CompletableFuture<Void> pages(DynamoDbAsyncClient dynamo, QueryRequest query,
                                               Map<String, AttributeValue> startKey,
                                               java.util.function.Consumer<QueryResponse> onPage) {
    QueryRequest req = startKey == null ? query : query.toBuilder().exclusiveStartKey(startKey).build();
    return dynamo.query(req).thenCompose(resp -> {
      onPage.accept(resp);
      if (resp.hasLastEvaluatedKey() && !resp.lastEvaluatedKey().isEmpty()) {
        return pages(dynamo, query, resp.lastEvaluatedKey(), onPage);
      }
      return CompletableFuture.completedFuture(null);
    });
  }
}
