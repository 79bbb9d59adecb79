package dev.helpdesk.migrator.sink;

/** PostgreSQL text cannot hold U+0000; display columns get U+FFFD while the source column keeps the original. */
final class Text {
  private Text() {}

  /** Whether a text column can hold it at all; a key that cannot was never stored, so lookups leave it out. */
  static boolean storable(String s) {
    return s != null && s.indexOf('\u0000') < 0;
  }

  static String displayable(Object value) {
    if (!(value instanceof String s)) return value == null ? null : String.valueOf(value);
    return s.indexOf('\u0000') < 0 ? s : s.replace('\u0000', '\uFFFD');
  }
}
