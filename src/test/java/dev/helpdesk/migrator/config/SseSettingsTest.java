package dev.helpdesk.migrator.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The progress stream's keys: defaults as the README says, overrides read, a non-positive value refused by name. */
class SseSettingsTest {
  @Test
  void defaultsAndOverrides() {
    assertEquals(new Settings.Sse(15000, 1000, 5000), Settings.from(SettingsTest.valid()).http().sse());
    assertEquals(new Settings.Sse(250, 3, 700), Settings.from(SettingsTest.valid()
        .put("SSE_HEARTBEAT_MS", "250").put("SSE_MAX_STREAMS", 3).put("SSE_RESYNC_MS", 700)).http().sse());
  }

  @ParameterizedTest
  @ValueSource(strings = {"SSE_HEARTBEAT_MS", "SSE_MAX_STREAMS", "SSE_RESYNC_MS"})
  void aNonPositiveValueIsRefusedNamingTheKey(String key) {
    ConfigException e = assertThrows(ConfigException.class, () -> Settings.from(SettingsTest.valid().put(key, 0)));
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }
}
