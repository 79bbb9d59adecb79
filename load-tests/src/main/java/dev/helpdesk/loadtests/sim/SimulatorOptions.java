package dev.helpdesk.loadtests.sim;

import dev.helpdesk.loadtests.data.SourceTables;
import io.vertx.core.json.JsonObject;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

/**
 * Settings of a {@link ConversationsSimulator}. Give either a {@link #dynamo client} (the caller
 * keeps owning it) or an {@link #dynamoEndpoint endpoint} (the simulator builds a client and
 * closes it with itself).
 */
public final class SimulatorOptions {
  private String host = "127.0.0.1";
  private int port;
  private DynamoDbAsyncClient dynamo;
  private String dynamoEndpoint;
  private String region = "us-east-1";
  private SourceTables tables = SourceTables.defaults();
  private String conversationsToken = "sim-conversations-token";
  private String mediaToken = "sim-media-token";
  private JsonObject brandsFixture;
  private int requestLogCapacity = 10_000;

  public String host() {
    return host;
  }

  /** Interface to bind; the control routes answer loopback callers only, whatever this is. */
  public SimulatorOptions host(String host) {
    this.host = host;
    return this;
  }

  public int port() {
    return port;
  }

  /** 0 picks a free port. */
  public SimulatorOptions port(int port) {
    this.port = port;
    return this;
  }

  public DynamoDbAsyncClient dynamo() {
    return dynamo;
  }

  public SimulatorOptions dynamo(DynamoDbAsyncClient dynamo) {
    this.dynamo = dynamo;
    return this;
  }

  public String dynamoEndpoint() {
    return dynamoEndpoint;
  }

  public SimulatorOptions dynamoEndpoint(String endpoint) {
    this.dynamoEndpoint = endpoint;
    return this;
  }

  public String region() {
    return region;
  }

  public SimulatorOptions region(String region) {
    this.region = region;
    return this;
  }

  public SourceTables tables() {
    return tables;
  }

  public SimulatorOptions tables(SourceTables tables) {
    this.tables = tables;
    return this;
  }

  public String conversationsToken() {
    return conversationsToken;
  }

  public SimulatorOptions conversationsToken(String token) {
    this.conversationsToken = token;
    return this;
  }

  public String mediaToken() {
    return mediaToken;
  }

  public SimulatorOptions mediaToken(String token) {
    this.mediaToken = token;
    return this;
  }

  public JsonObject brandsFixture() {
    return brandsFixture;
  }

  /** accountId to {"brands": [...]}; accounts not in it get {@code AccountChannels.of(accountId)}. */
  public SimulatorOptions brandsFixture(JsonObject fixture) {
    this.brandsFixture = fixture;
    return this;
  }

  public int requestLogCapacity() {
    return requestLogCapacity;
  }

  public SimulatorOptions requestLogCapacity(int capacity) {
    this.requestLogCapacity = capacity;
    return this;
  }
}
