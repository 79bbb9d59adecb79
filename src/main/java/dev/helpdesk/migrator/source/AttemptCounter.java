package dev.helpdesk.migrator.source;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;

/**
 * Counts attempts as they are sent (an interceptor sees every retry), and throttled attempts from
 * the SDK's per-attempt metrics: an interceptor only sees the status code of a failed attempt,
 * while DynamoDB answers throttling with a plain 400 whose error code is in the body. The SDK
 * classifies that code (ProvisionedThroughputExceededException, ThrottlingException,
 * RequestLimitExceeded, ...) as ERROR_TYPE "Throttling" on the attempt's metrics.
 */
final class AttemptCounter implements ExecutionInterceptor, MetricPublisher {
  private static final String THROTTLING = "Throttling";
  private final SourceStats stats;

  AttemptCounter(SourceStats stats) {
    this.stats = stats;
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    stats.requests().increment();
  }

  @Override
  public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
    stats.failedCalls().increment();
  }

  @Override
  public void publish(MetricCollection call) {
    // the call's own collection has no ERROR_TYPE: each attempt is a child
    for (MetricCollection attempt : call.children()) {
      if (attempt.metricValues(CoreMetric.ERROR_TYPE).contains(THROTTLING)) stats.throttled().increment();
    }
  }

  @Override
  public void close() {}
}
