package dev.helpdesk.migrator.source;

import dev.helpdesk.migrator.config.Settings;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Executor;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.crt.AwsCrtAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;

/** Builds the one DynamoDB client of a {@link DynamoSource}. */
final class DynamoClientFactory {
  /** DynamoDB's own SDK default base for errors other than throttling. */
  static final Duration BASE_DELAY = Duration.ofMillis(25);
  static final Duration THROTTLED_BASE_DELAY = Duration.ofMillis(200);
  static final Duration MAX_DELAY = Duration.ofSeconds(5);

  private DynamoClientFactory() {}

  static DynamoDbAsyncClient create(Settings.Dynamo s, AttemptCounter counter) {
    Duration attempt = Duration.ofMillis(s.callTimeoutMs());
    DynamoDbAsyncClientBuilder b = DynamoDbAsyncClient.builder()
        .region(Region.of(s.region()))
        .credentialsProvider(credentials(s.endpoint()))
        .httpClientBuilder(httpClient(s))
        .overrideConfiguration(o -> o
            .apiCallAttemptTimeout(attempt)
            .apiCallTimeout(Duration.ofMillis(callTimeoutMs(s)))
            .retryStrategy(retryStrategy(s.maxAttempts()))
            .addExecutionInterceptor(counter)
            .addMetricPublisher(counter))
        // Pages are handed straight to observeOn, which only queues them for the Vert.x context:
        // non-blocking, so the SDK's extra completion thread pool would only add a hop.
        .asyncConfiguration(a -> a.advancedOption(SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR,
            (Executor) Runnable::run));
    if (!s.endpoint().isEmpty()) b.endpointOverride(URI.create(s.endpoint()));
    return b.build();
  }

  /**
   * The standard strategy retries throttling errors (with its own, longer back-off), 5xx, and I/O
   * errors. Its circuit breaker is off: it stops retrying once a per-client token bucket is spent,
   * and throttling spends it too; this one client serves every account of the instance, so a burst
   * of throttling would otherwise turn into failed pages for all of them.
   */
  static RetryStrategy retryStrategy(int maxAttempts) {
    return AwsRetryStrategy.standardRetryStrategy().toBuilder()
        .maxAttempts(maxAttempts)
        .backoffStrategy(BackoffStrategy.exponentialDelay(BASE_DELAY, MAX_DELAY))
        .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(THROTTLED_BASE_DELAY, MAX_DELAY))
        .circuitBreakerEnabled(false)
        .build();
  }

  /** Every attempt at its full time-out plus the longest back-off between them. */
  static long callTimeoutMs(Settings.Dynamo s) {
    long total = s.callTimeoutMs() * s.maxAttempts();
    for (int retry = 1; retry < s.maxAttempts(); retry++) {
      total += Math.min(MAX_DELAY.toMillis(), THROTTLED_BASE_DELAY.toMillis() << Math.min(retry, 20));
    }
    return total;
  }

  private static SdkAsyncHttpClient.Builder<?> httpClient(Settings.Dynamo s) {
    Duration acquire = Duration.ofMillis(s.callTimeoutMs());
    return switch (s.httpClient()) {
      case "crt" -> AwsCrtAsyncHttpClient.builder().maxConcurrency(s.maxInFlight()).connectionAcquisitionTimeout(acquire);
      // One I/O thread: responses only cross to the Vert.x context from it, and every extra thread
      // on a small machine is another wake-up per page.
      case "netty" -> NettyNioAsyncHttpClient.builder().maxConcurrency(s.maxInFlight()).connectionAcquisitionTimeout(acquire)
          .eventLoopGroupBuilder(SdkEventLoopGroup.builder().numberOfThreads(1));
      default -> throw new IllegalArgumentException("httpClient must be netty or crt, got " + s.httpClient());
    };
  }

  /** dynalite and other local stand-ins need a signature but not a real identity. */
  static AwsCredentialsProvider credentials(String endpoint) {
    if (!endpoint.isEmpty() && isLoopback(URI.create(endpoint).getHost()) && System.getenv("AWS_ACCESS_KEY_ID") == null) {
      return StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
    }
    return DefaultCredentialsProvider.builder().build();
  }

  // Decided from the text alone: no DNS look-up at start-up for a real endpoint's host name.
  static boolean isLoopback(String host) {
    if (host == null) return false;
    String h = host.toLowerCase(java.util.Locale.ROOT);
    return h.equals("localhost") || h.endsWith(".localhost") || h.startsWith("127.") || h.equals("[::1]")
        || h.equals("::1");
  }
}
