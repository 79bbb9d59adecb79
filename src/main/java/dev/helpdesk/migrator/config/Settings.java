package dev.helpdesk.migrator.config;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Everything the service is configured with, read once and validated as a whole, so a
 * bad deployment stops at start-up with the key's name instead of failing at 3 a.m.
 * Key names are the environment variable names of CONTRACT §4.
 */
public record Settings(Http http, Pg pg, Dynamo dynamo, Conversations conversations, Media media,
                       Auth auth, RateLimits rateLimits, Migration migration, Ops ops, Notify notifications) {

  /**
   * {@code accountCacheMs}: how long {@code GET /v1/accounts/{id}} may answer from memory an account that no
   * notification said changed (accounts.AccountCache); 0 reads PostgreSQL every time.
   */
  public record Http(int port, int maxHeaderBytes, int maxBodyBytes, Sse sse, long accountCacheMs) {}

  /**
   * The progress stream: a comment line every {@code heartbeatMs} (proxies drop silent connections),
   * at most {@code maxStreams} open per instance, and every {@code resyncMs} one query re-reads the
   * versions of the watched accounts in case a notification was lost (listener reconnecting).
   */
  public record Sse(long heartbeatMs, int maxStreams, long resyncMs) {}

  /**
   * {@code idleInTransactionMs}: how long PostgreSQL lets a transaction wait on a silent client. An
   * owner frozen mid-transaction (GC pause, SIGSTOP) holds row locks its successor needs; past this
   * the server ends its session, so the successor is not stuck behind a run that already lost its lease.
   */
  public record Pg(String uri, int poolSize, long acquireTimeoutMs, long queryTimeoutMs, long idleInTransactionMs) {
    public Pg(String uri, int poolSize, long acquireTimeoutMs, long queryTimeoutMs) {
      this(uri, poolSize, acquireTimeoutMs, queryTimeoutMs, queryTimeoutMs);
    }

    @Override public String toString() { return "Pg[uri=<redacted>, poolSize=" + poolSize + "]"; }
  }

  /** {@code httpClient} is "netty" or "crt": the SDK's netty client targets Netty 4.1 while Vert.x brings 4.2. */
  public record Dynamo(String endpoint, String region, String threadsTable, String messagesTable,
                       String threadsIndex, String httpClient, int maxInFlight, long callTimeoutMs,
                       int maxAttempts, int readRateTotal) {}

  public record Conversations(URI baseUrl, String token, long timeoutMs, int maxAttempts,
                              long backoffBaseMs, long backoffMaxMs, int breakerMaxFailures,
                              long breakerResetMs) {
    @Override public String toString() { return "Conversations[baseUrl=" + baseUrl + ", token=<redacted>]"; }
  }

  /** {@code allowedHosts} holds lower-case "host" or "host:port" entries. */
  public record Media(String token, Set<String> allowedHosts, long timeoutMs, int maxAttempts,
                      long maxBytes, int concurrency) {
    @Override public String toString() { return "Media[allowedHosts=" + allowedHosts + ", token=<redacted>]"; }
  }

  public record Auth(List<String> conversationsCallerTokens, List<String> adminTokens,
                     String jwtSecret, String jwtPreviousSecret) {
    @Override public String toString() { return "Auth[<redacted>]"; }
  }

  /** Requests per second and burst, per caller: each mobile user, Conversations, the operators. */
  public record RateLimits(int mobilePerSecond, int mobileBurst, int conversationsPerSecond, int conversationsBurst,
                           int operatorPerSecond, int operatorBurst) {}

  public record Migration(String attachmentsDir, int recentDays, int maxFailures, double maxFailureRatio,
                          int accountsParallel, int threadConcurrency, long readAheadBytes, int batchSize,
                          long progressIntervalMs, long leaseTtlMs, long heartbeatMs, long sweepMs,
                          long inboxHoldMs) {}

  /**
   * Running the service: log lines as JSON or text at a level, the time SIGTERM may take before the
   * process exits regardless, how often the database-derived gauges of /metrics are refreshed, and how
   * many rounds of the start path a fresh instance runs on itself before its port opens (0: none; see
   * api.WarmUp).
   */
  public record Ops(String logFormat, String logLevel, long shutdownTimeoutMs, long metricsRefreshMs, int warmupRounds) {}

  /**
   * Failure notifications to a Slack-compatible webhook; {@code webhookUrl} null = off. The URL is a
   * credential (Slack's carries its secret in the path), so it never prints. {@code deadLetterWarn} 0
   * = no dead-letter warnings.
   */
  public record Notify(URI webhookUrl, int deadLetterWarn, int maxAttempts, long backoffBaseMs, long backoffMaxMs,
                       long timeoutMs, long pollMs) {
    public boolean enabled() { return webhookUrl != null; }

    @Override public String toString() {
      return "Notify[webhookUrl=" + (enabled() ? "<redacted>" : "off") + ", deadLetterWarn=" + deadLetterWarn
          + ", maxAttempts=" + maxAttempts + "]";
    }
  }

  static final Set<String> LOG_LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  static final int MIN_JWT_SECRET_BYTES = 32;
  static final int MIN_STATIC_TOKEN_CHARS = 16;

  public static Settings from(JsonObject json) {
    RawConfig c = new RawConfig(json);
    Http http = new Http(c.port("HTTP_PORT", 8080), c.positiveInt("HTTP_MAX_HEADER_BYTES", 8192),
        c.positiveInt("HTTP_MAX_BODY_BYTES", 16384), new Sse(c.positiveLong("SSE_HEARTBEAT_MS", 15000),
        c.positiveInt("SSE_MAX_STREAMS", 1000), c.positiveLong("SSE_RESYNC_MS", 5000)),
        c.nonNegativeInt("ACCOUNT_CACHE_MS", 2000));
    if (http.accountCacheMs() > 60_000) {
      // a safety net for a listener that died silently: longer would show a stale status for minutes
      throw new ConfigException("ACCOUNT_CACHE_MS", "must be at most 60000 (0 turns the cache off)");
    }
    long queryTimeoutMs = c.positiveLong("PG_QUERY_TIMEOUT_MS", 15000);
    Pg pg = new Pg(pgUri(c), c.positiveInt("PG_POOL_SIZE", 16), c.positiveLong("PG_ACQUIRE_TIMEOUT_MS", 5000),
        queryTimeoutMs, Math.min(queryTimeoutMs, c.positiveLong("MIGRATION_LEASE_TTL_MS", 30000)));
    Dynamo dynamo = new Dynamo(c.string("DYNAMODB_ENDPOINT", ""), c.string("AWS_REGION", "us-east-1"),
        c.string("DYNAMODB_THREADS_TABLE", "conversations-threads"),
        c.string("DYNAMODB_MESSAGES_TABLE", "conversations-messages"),
        c.string("DYNAMODB_THREADS_INDEX", "accountId-lastMessageAt-index"),
        oneOf(c, "DYNAMODB_HTTP_CLIENT", "netty", Set.of("netty", "crt")),
        c.positiveInt("DYNAMODB_MAX_IN_FLIGHT", 32), c.positiveLong("DYNAMODB_CALL_TIMEOUT_MS", 10000),
        c.positiveInt("DYNAMODB_MAX_ATTEMPTS", 8), c.nonNegativeInt("DYNAMODB_READ_RATE_TOTAL", 0));
    if (!dynamo.endpoint().isEmpty()) c.httpUrl("DYNAMODB_ENDPOINT", null);
    Conversations conversations = new Conversations(c.httpUrl("CONVERSATIONS_BASE_URL", null),
        c.secrets("CONVERSATIONS_TOKEN", 1).get(0), c.positiveLong("CONVERSATIONS_TIMEOUT_MS", 2000),
        c.positiveInt("CONVERSATIONS_MAX_ATTEMPTS", 4), c.positiveLong("CONVERSATIONS_BACKOFF_BASE_MS", 100),
        c.positiveLong("CONVERSATIONS_BACKOFF_MAX_MS", 2000), c.positiveInt("BREAKER_MAX_FAILURES", 5),
        c.positiveLong("BREAKER_RESET_TIMEOUT_MS", 10000));
    Media media = new Media(c.secrets("MEDIA_TOKEN", 1).get(0), allowedHosts(c),
        c.positiveLong("MEDIA_TIMEOUT_MS", 10000), c.positiveInt("MEDIA_MAX_ATTEMPTS", 4),
        c.positiveLong("MEDIA_MAX_BYTES", 50L * 1024 * 1024), c.positiveInt("MEDIA_CONCURRENCY", 16));
    Auth auth = new Auth(c.secrets("CONVERSATIONS_CALLER_TOKEN", MIN_STATIC_TOKEN_CHARS),
        c.secrets("ADMIN_TOKEN", MIN_STATIC_TOKEN_CHARS), c.secret("JWT_HS256_SECRET", MIN_JWT_SECRET_BYTES),
        c.string("JWT_HS256_PREVIOUS_SECRET", null) == null ? null
            : c.secret("JWT_HS256_PREVIOUS_SECRET", MIN_JWT_SECRET_BYTES));
    RateLimits rateLimits = new RateLimits(c.positiveInt("RATE_LIMIT_MOBILE_PER_SEC", 10),
        c.positiveInt("RATE_LIMIT_MOBILE_BURST", 40), c.positiveInt("RATE_LIMIT_CONVERSATIONS_PER_SEC", 200),
        c.positiveInt("RATE_LIMIT_CONVERSATIONS_BURST", 400), c.positiveInt("RATE_LIMIT_OPERATOR_PER_SEC", 50),
        c.positiveInt("RATE_LIMIT_OPERATOR_BURST", 100));
    Migration migration = new Migration(c.required("ATTACHMENTS_DIR"), c.positiveInt("MIGRATION_RECENT_DAYS", 30),
        c.positiveInt("MIGRATION_MAX_FAILURES", 1000), c.ratio("MIGRATION_MAX_FAILURE_RATIO", 0.05),
        c.positiveInt("MIGRATION_ACCOUNTS_PARALLEL", 4), c.positiveInt("MIGRATION_THREAD_CONCURRENCY", 8),
        c.positiveLong("MIGRATION_READ_AHEAD_BYTES", 8L * 1024 * 1024), c.positiveInt("MIGRATION_BATCH_SIZE", 500), c.positiveLong("MIGRATION_PROGRESS_INTERVAL_MS", 300),
        c.positiveLong("MIGRATION_LEASE_TTL_MS", 30000), c.positiveLong("MIGRATION_HEARTBEAT_MS", 10000),
        c.positiveLong("MIGRATION_SWEEP_MS", 5000), c.nonNegativeInt("MIGRATION_INBOX_HOLD_MS", 500));
    if (migration.inboxHoldMs() > 5000) {
      throw new ConfigException("MIGRATION_INBOX_HOLD_MS", "must be at most 5000 (0 turns the hold off)");
    }
    if (migration.heartbeatMs() * 2 > migration.leaseTtlMs()) {
      throw new ConfigException("MIGRATION_HEARTBEAT_MS", "must be at most half of MIGRATION_LEASE_TTL_MS");
    }
    if (auth.conversationsCallerTokens().stream().anyMatch(auth.adminTokens()::contains)) {
      throw new ConfigException("ADMIN_TOKEN", "must differ from CONVERSATIONS_CALLER_TOKEN");
    }
    // text when the key is absent (tests, embedded runs); conf/config.json sets json for java -jar
    Ops ops = new Ops(oneOf(c, "LOG_FORMAT", "text", Set.of("json", "text")),
        oneOf(c, "LOG_LEVEL", "INFO", LOG_LEVELS, true),
        c.positiveLong("SHUTDOWN_TIMEOUT_MS", 20000), c.positiveLong("METRICS_REFRESH_MS", 5000),
        c.nonNegativeInt("WARMUP_ROUNDS", 200));
    Notify notifications = new Notify(c.string("NOTIFY_WEBHOOK_URL", null) == null ? null : c.httpUrl("NOTIFY_WEBHOOK_URL", null),
        c.nonNegativeInt("NOTIFY_DEAD_LETTER_WARN", 100), c.positiveInt("NOTIFY_MAX_ATTEMPTS", 5),
        c.positiveLong("NOTIFY_BACKOFF_BASE_MS", 1000), c.positiveLong("NOTIFY_BACKOFF_MAX_MS", 60000),
        c.positiveLong("NOTIFY_TIMEOUT_MS", 5000), c.positiveLong("NOTIFY_POLL_MS", 2000));
    return new Settings(http, pg, dynamo, conversations, media, auth, rateLimits, migration, ops, notifications);
  }

  private static String pgUri(RawConfig c) {
    String s = c.required("PG_URI");
    try {
      URI uri = new URI(s);
      boolean ok = ("postgresql".equals(uri.getScheme()) || "postgres".equals(uri.getScheme()))
          && uri.getHost() != null && uri.getPath() != null && uri.getPath().length() > 1;
      if (!ok) throw new ConfigException("PG_URI", "must look like postgresql://user:password@host:port/database");
      return s;
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException("PG_URI", "must look like postgresql://user:password@host:port/database");
    }
  }

  private static Set<String> allowedHosts(RawConfig c) {
    Set<String> hosts = c.list("MEDIA_ALLOWED_HOSTS").stream().map(String::toLowerCase).collect(Collectors.toSet());
    for (String h : hosts) {
      if (h.contains("/") || h.contains("@") || h.contains("*")) {
        throw new ConfigException("MEDIA_ALLOWED_HOSTS", "entries are host or host:port, no scheme, path or wildcard");
      }
    }
    return hosts;
  }

  private static String oneOf(RawConfig c, String key, String fallback, Set<String> allowed) {
    return oneOf(c, key, fallback, allowed, false);
  }

  private static String oneOf(RawConfig c, String key, String fallback, Set<String> allowed, boolean upperCase) {
    String v = c.string(key, fallback);
    if (upperCase && v != null) v = v.trim().toUpperCase(java.util.Locale.ROOT);
    if (!allowed.contains(v)) throw new ConfigException(key, "must be one of " + allowed);
    return v;
  }
}
