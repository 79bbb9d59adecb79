package dev.helpdesk.loadtests.support;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;

/** Builds DynamoDB clients for local stand-ins and for real endpoints. */
public final class DynamoClients {
  private DynamoClients() {}

  /** Dummy credentials for dynalite, which checks that a signature exists but not whose it is. */
  public static AwsCredentialsProvider dummyCredentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
  }

  /**
   * A netty-nio client. The pom also carries the CRT client, so the HTTP client is named explicitly:
   * with two on the classpath the SDK refuses to pick one.
   *
   * @param endpoint null or blank for the AWS default endpoint of the region
   */
  public static DynamoDbAsyncClient create(String endpoint, String region) {
    DynamoDbAsyncClientBuilder b = DynamoDbAsyncClient.builder()
        .region(Region.of(region == null || region.isBlank() ? "us-east-1" : region))
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()
            .maxConcurrency(128)
            .connectionAcquisitionTimeout(Duration.ofSeconds(60)));
    if (endpoint != null && !endpoint.isBlank()) {
      URI uri = URI.create(endpoint);
      b.endpointOverride(uri);
      b.credentialsProvider(isLoopback(uri.getHost()) ? dummyCredentials() : DefaultCredentialsProvider.builder().build());
    } else {
      b.credentialsProvider(DefaultCredentialsProvider.builder().build());
    }
    return b.build();
  }

  static boolean isLoopback(String host) {
    if (host == null) return false;
    if (host.equalsIgnoreCase("localhost")) return true;
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
