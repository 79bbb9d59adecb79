package dev.helpdesk.loadtests.harness;

import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * Counts the DynamoDB traffic of the service's own client in the service's JVM. It is not wired
 * into the service's code: {@link ServiceChild} puts a {@code software/amazon/awssdk/global/handlers/
 * execution.interceptors} file naming this class on the child's class path, and the SDK adds
 * every interceptor listed there to every client it builds (the service's DynamoSource client is
 * the only SDK client in that JVM).
 *
 * <p>requests: HTTP attempts sent (retries included); queries: Query calls that completed;
 * items: items in their responses.
 */
public final class CountingInterceptor implements ExecutionInterceptor {
  static final LongAdder REQUESTS = new LongAdder();
  static final LongAdder QUERIES = new LongAdder();
  static final LongAdder ITEMS = new LongAdder();
  static final LongAdder FAILED = new LongAdder();

  public CountingInterceptor() {}

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    REQUESTS.increment();
  }

  @Override
  public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
    if (context.response() instanceof QueryResponse q) {
      QUERIES.increment();
      ITEMS.add(q.count() == null ? q.items().size() : q.count());
    }
  }

  @Override
  public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
    FAILED.increment();
  }
}
