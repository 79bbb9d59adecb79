package dev.helpdesk.migrator.source;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.http.HttpMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Counts attempts as they are sent (an interceptor sees every retry), and throttled attempts from
 * the SDK's per-attempt metrics: an interceptor only sees the status code of a failed attempt,
 * while DynamoDB answers throttling with a plain 400 whose error code is in the body. The SDK
 * classifies that code (ProvisionedThroughputExceededException, ThrottlingException,
 * RequestLimitExceeded, ...) as ERROR_TYPE "Throttling" on the attempt's metrics.
 *
 * An attempt that ends in an error without any HTTP answer (it timed out, or its connection broke) is
 * logged as well as counted: the pipeline hands an account's pages on in order, so one silent request
 * holds that account's reads for up to the attempt time-out before the SDK retries it, and nothing
 * else would say why. The SDK reports its own attempt time-out as ERROR_TYPE "Other", hence the test
 * for a missing status code rather than for "ConfiguredTimeout".
 */
final class AttemptCounter implements ExecutionInterceptor, MetricPublisher {
  private static final Logger log = LoggerFactory.getLogger(AttemptCounter.class);
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
    int silent = 0;
    for (MetricCollection attempt : call.children()) {
      List<String> errors = attempt.metricValues(CoreMetric.ERROR_TYPE);
      if (errors.contains(THROTTLING)) stats.throttled().increment();
      if (!errors.isEmpty() && attempt.metricValues(HttpMetric.HTTP_STATUS_CODE).isEmpty()) silent++;
    }
    if (silent > 0) {
      stats.unanswered().add(silent);
      log.warn("DynamoDB {}: {} attempt(s) got no answer (timed out after DYNAMODB_CALL_TIMEOUT_MS, or the connection broke); the call {}",
          call.metricValues(CoreMetric.OPERATION_NAME).stream().findFirst().orElse("call"), silent,
          call.metricValues(CoreMetric.API_CALL_SUCCESSFUL).contains(Boolean.TRUE) ? "succeeded on a retry" : "failed");
    }
  }

  @Override
  public void close() {}
}
