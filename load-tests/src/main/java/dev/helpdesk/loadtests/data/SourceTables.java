package dev.helpdesk.loadtests.data;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

/** The source table and index names (CONTRACT §1) and their creation. */
public record SourceTables(String threadsTable, String messagesTable, String threadsIndex) {

  public static final String DEFAULT_THREADS_TABLE = "conversations-threads";
  public static final String DEFAULT_MESSAGES_TABLE = "conversations-messages";
  public static final String DEFAULT_THREADS_INDEX = "accountId-lastMessageAt-index";
  private static final Duration ACTIVE_TIMEOUT = Duration.ofSeconds(60);

  public static SourceTables defaults() {
    return new SourceTables(DEFAULT_THREADS_TABLE, DEFAULT_MESSAGES_TABLE, DEFAULT_THREADS_INDEX);
  }

  /** Names with a suffix, so several tests can share one dynalite without seeing each other's data. */
  public static SourceTables withSuffix(String suffix) {
    return new SourceTables(DEFAULT_THREADS_TABLE + suffix, DEFAULT_MESSAGES_TABLE + suffix, DEFAULT_THREADS_INDEX);
  }

  /** Creates both tables unless they exist, then waits until both are ACTIVE. */
  public CompletableFuture<Void> create(DynamoDbAsyncClient dynamo) {
    CompletableFuture<Void> threads = createIfMissing(dynamo, threadsRequest());
    CompletableFuture<Void> messages = createIfMissing(dynamo, messagesRequest());
    return CompletableFuture.allOf(threads, messages)
        .thenCompose(v -> CompletableFuture.allOf(
            waitActive(dynamo, threadsTable, System.nanoTime()),
            waitActive(dynamo, messagesTable, System.nanoTime())));
  }

  private CreateTableRequest threadsRequest() {
    return CreateTableRequest.builder()
        .tableName(threadsTable)
        .billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(
            attr("accountId", ScalarAttributeType.S),
            attr("threadId", ScalarAttributeType.S),
            attr("lastMessageAt", ScalarAttributeType.N))
        .keySchema(key("accountId", KeyType.HASH), key("threadId", KeyType.RANGE))
        .globalSecondaryIndexes(GlobalSecondaryIndex.builder()
            .indexName(threadsIndex)
            .keySchema(key("accountId", KeyType.HASH), key("lastMessageAt", KeyType.RANGE))
            .projection(Projection.builder().projectionType(ProjectionType.ALL).build())
            .build())
        .build();
  }

  private CreateTableRequest messagesRequest() {
    return CreateTableRequest.builder()
        .tableName(messagesTable)
        .billingMode(BillingMode.PAY_PER_REQUEST)
        .attributeDefinitions(attr("threadId", ScalarAttributeType.S), attr("messageId", ScalarAttributeType.S))
        .keySchema(key("threadId", KeyType.HASH), key("messageId", KeyType.RANGE))
        .build();
  }

  private static CompletableFuture<Void> createIfMissing(DynamoDbAsyncClient dynamo, CreateTableRequest req) {
    return dynamo.createTable(req).handle((ok, err) -> {
      Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      if (cause == null || cause instanceof ResourceInUseException) return null;
      throw new CompletionException(cause);
    });
  }

  private static CompletableFuture<Void> waitActive(DynamoDbAsyncClient dynamo, String table, long startNanos) {
    return dynamo.describeTable(b -> b.tableName(table)).thenCompose(d -> {
      if (d.table().tableStatus() == TableStatus.ACTIVE) return CompletableFuture.completedFuture(null);
      if (System.nanoTime() - startNanos > ACTIVE_TIMEOUT.toNanos()) {
        return CompletableFuture.failedFuture(new IllegalStateException(table + " not ACTIVE after " + ACTIVE_TIMEOUT));
      }
      return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS))
          .thenCompose(x -> waitActive(dynamo, table, startNanos));
    });
  }

  private static AttributeDefinition attr(String name, ScalarAttributeType type) {
    return AttributeDefinition.builder().attributeName(name).attributeType(type).build();
  }

  private static KeySchemaElement key(String name, KeyType type) {
    return KeySchemaElement.builder().attributeName(name).keyType(type).build();
  }
}
