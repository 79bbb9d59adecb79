package dev.helpdesk.migrator.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

class SettingsTest {
  static JsonObject valid() {
    return new JsonObject()
        .put("PG_URI", "postgresql://u:p@localhost:5432/db")
        .put("CONVERSATIONS_BASE_URL", "http://conversations.internal:8090")
        .put("CONVERSATIONS_TOKEN", "outbound-token")
        .put("MEDIA_TOKEN", "media-token")
        .put("CONVERSATIONS_CALLER_TOKEN", "caller-token-0123456789,previous-caller-token-0123")
        .put("ADMIN_TOKEN", "admin-token-0123456789")
        .put("JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef")
        .put("ATTACHMENTS_DIR", "/tmp/a");
  }

  @Test
  void aCompleteConfigurationIsReadIntoTypedSettings() {
    Settings s = Settings.from(valid().put("HTTP_PORT", "9090").put("MEDIA_ALLOWED_HOSTS", "Media.Example:8443, cdn.example"));
    assertEquals(9090, s.http().port());
    assertEquals(2, s.auth().conversationsCallerTokens().size());
    assertTrue(s.media().allowedHosts().contains("media.example:8443"));
    assertNull(s.auth().jwtPreviousSecret());
    assertEquals(500, s.migration().inboxHoldMs(), "README's default");
    assertEquals(0, Settings.from(valid().put("MIGRATION_INBOX_HOLD_MS", 0)).migration().inboxHoldMs(), "0 turns it off");
    assertEquals(2000, s.http().accountCacheMs(), "README's default");
    assertEquals(0, Settings.from(valid().put("ACCOUNT_CACHE_MS", 0)).http().accountCacheMs(), "0 turns it off");
  }

  @ParameterizedTest(name = "{0}={1} is refused")
  @CsvSource(delimiter = '|', value = {
      "PG_URI|''",
      "PG_URI|mysql://u:p@h/db",
      "PG_URI|postgresql://host-without-database",
      "JWT_HS256_SECRET|''",
      "JWT_HS256_SECRET|short-secret",
      "JWT_HS256_PREVIOUS_SECRET|also-too-short",
      "ADMIN_TOKEN|''",
      "ADMIN_TOKEN|short",
      "CONVERSATIONS_CALLER_TOKEN|''",
      "CONVERSATIONS_TOKEN|''",
      "MEDIA_TOKEN|''",
      "CONVERSATIONS_BASE_URL|not a url",
      "CONVERSATIONS_BASE_URL|ftp://x/",
      "MIGRATION_ACCOUNTS_PARALLEL|0",
      "MIGRATION_BATCH_SIZE|-5",
      "MIGRATION_INBOX_HOLD_MS|-1",
      "MIGRATION_INBOX_HOLD_MS|60000",
      "ACCOUNT_CACHE_MS|-1",
      "ACCOUNT_CACHE_MS|60001",
      "DYNAMODB_MAX_IN_FLIGHT|many",
      "MIGRATION_MAX_FAILURE_RATIO|1.5",
      "DYNAMODB_HTTP_CLIENT|apache",
      "MEDIA_ALLOWED_HOSTS|http://media.example/path",
      "HTTP_PORT|70000",
      "LOG_FORMAT|xml",
      "LOG_LEVEL|loud",
      "SHUTDOWN_TIMEOUT_MS|0",
      "METRICS_REFRESH_MS|-1",
      "WARMUP_ROUNDS|-1"})
  void aMissingOrUnsafeValueStopsStartUpNamingTheKey(String key, String value) {
    ConfigException e = assertThrows(ConfigException.class, () -> Settings.from(valid().put(key, value)));
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }

  @Test
  void operationsKeysDefaultToTextLogsAtInfoAndTakeTheirValues() {
    Settings.Ops d = Settings.from(valid()).ops();
    assertEquals(new Settings.Ops("text", "INFO", 20000, 5000, 200), d);
    Settings.Ops s = Settings.from(valid().put("LOG_FORMAT", "json").put("LOG_LEVEL", "debug")
        .put("SHUTDOWN_TIMEOUT_MS", 7000).put("METRICS_REFRESH_MS", "250").put("WARMUP_ROUNDS", 0)).ops();
    assertEquals(new Settings.Ops("json", "DEBUG", 7000, 250, 0), s);
  }

  @Test
  void errorMessagesNeverEchoTheSecret() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> Settings.from(valid().put("JWT_HS256_SECRET", "tiny-secret-value")));
    assertFalse(e.getMessage().contains("tiny-secret-value"));
    assertFalse(Settings.from(valid()).toString().contains("admin-token-0123456789"));
  }

  @Test
  void theAdminTokenMustDifferFromTheConversationsToken() {
    assertThrows(ConfigException.class, () -> Settings.from(valid().put("ADMIN_TOKEN", "caller-token-0123456789")));
  }
}
