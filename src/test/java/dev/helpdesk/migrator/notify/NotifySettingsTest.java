package dev.helpdesk.migrator.notify;

import dev.helpdesk.migrator.config.ConfigException;
import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.OffsetDateTime;

import static org.junit.jupiter.api.Assertions.*;

/** The NOTIFY_* keys, the webhook URL as a credential, and the message body. */
class NotifySettingsTest {
  static final String HOOK = "https://hooks.slack.example/services/T000/B000/secret-part-0123";

  static JsonObject valid() {
    return new JsonObject()
        .put("PG_URI", "postgresql://u:p@localhost:5432/db")
        .put("CONVERSATIONS_BASE_URL", "http://conversations.internal:8090")
        .put("CONVERSATIONS_TOKEN", "outbound-token")
        .put("MEDIA_TOKEN", "media-token")
        .put("CONVERSATIONS_CALLER_TOKEN", "caller-token-0123456789")
        .put("ADMIN_TOKEN", "admin-token-0123456789")
        .put("JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef")
        .put("ATTACHMENTS_DIR", "/tmp/a");
  }

  @Test
  void withoutAWebhookNotificationsAreOffAndTheDefaultsHold() {
    Settings.Notify n = Settings.from(valid().put("NOTIFY_WEBHOOK_URL", "")).notifications();
    assertFalse(n.enabled());
    assertEquals(100, n.deadLetterWarn());
    assertEquals(5, n.maxAttempts());
    assertEquals(2000, n.pollMs());
  }

  @Test
  void theWebhookUrlIsReadButNeverPrinted() {
    Settings s = Settings.from(valid().put("NOTIFY_WEBHOOK_URL", HOOK).put("NOTIFY_DEAD_LETTER_WARN", "0")
        .put("NOTIFY_TIMEOUT_MS", "1500"));
    assertTrue(s.notifications().enabled());
    assertEquals(HOOK, s.notifications().webhookUrl().toString());
    assertEquals(0, s.notifications().deadLetterWarn());
    assertEquals(1500, s.notifications().timeoutMs());
    assertFalse(s.toString().contains("secret-part") || s.toString().contains("hooks.slack"), s.toString());
  }

  @ParameterizedTest(name = "{0}={1} is refused")
  @CsvSource(delimiter = '|', value = {
      "NOTIFY_WEBHOOK_URL|ftp://hooks.example/x",
      "NOTIFY_WEBHOOK_URL|hooks.slack.com/services/T/B/secret-in-a-bad-url",
      "NOTIFY_WEBHOOK_URL|http://",
      "NOTIFY_DEAD_LETTER_WARN|-1",
      "NOTIFY_MAX_ATTEMPTS|0",
      "NOTIFY_BACKOFF_BASE_MS|0",
      "NOTIFY_BACKOFF_MAX_MS|-5",
      "NOTIFY_TIMEOUT_MS|soon",
      "NOTIFY_POLL_MS|0",
  })
  void aBadNotifySettingStopsTheStartNamingTheKeyAndNotTheValue(String key, String value) {
    ConfigException e = assertThrows(ConfigException.class, () -> Settings.from(valid().put(key, value)));
    assertTrue(e.getMessage().contains(key), e.getMessage());
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }

  @Test
  void theBodyIsSlackTextWithTheFieldsAndEscapesSlacksControlCharacters() {
    var failed = new Outbox.Event(1, "migration_failed", "acc-1", 7L,
        new JsonObject().put("failureReason", "conversations_unavailable: <!channel> & co"), 1, OffsetDateTime.now());
    JsonObject body = Webhook.body(failed, 100);
    assertEquals("acc-1", body.getString("accountId"));
    assertEquals(7L, body.getLong("jobId"));
    assertEquals("conversations_unavailable: <!channel> & co", body.getString("failureReason"));
    assertTrue(body.getString("text").contains("&lt;!channel&gt; &amp; co"), body.getString("text"));
    assertFalse(body.getString("text").contains("<!channel>"));

    var letters = new Outbox.Event(2, "dead_letters", "acc-2", 8L,
        new JsonObject().put("deadLetters", 120).put("warnLevel", 100), 1, OffsetDateTime.now());
    JsonObject warn = Webhook.body(letters, 100);
    assertEquals(120, warn.getInteger("deadLetters"));
    assertEquals(100, warn.getInteger("warnLevel"));
    assertTrue(warn.getString("text").contains("120 unresolved dead letters"), warn.getString("text"));
  }
}
