package dev.helpdesk.migrator.read;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The opaque {@code nextCursor} of a list: base64url (no padding) of the JSON array
 * {@code [kind, ...sort key of the last row returned]}, e.g. {@code ["t", 1732528800000, "th-9"]}.
 * The kind tag keeps a cursor of one list from being read as a position in another. Only the
 * exact text this class produces decodes: anything else, re-encoded or edited, is malformed,
 * so a tampered cursor is refused instead of silently starting somewhere odd.
 */
public final class Cursor {
  public static final String THREADS = "t";
  public static final String MESSAGES = "m";
  public static final String DEAD_LETTERS = "d";

  /** Source ids are DynamoDB keys: at most 2048 bytes, so never more characters than that. */
  public static final int MAX_KEY_CHARS = 2048;
  private static final int MAX_CURSOR_CHARS = 4 * (MAX_KEY_CHARS * 3 + 64) / 3;
  private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]+");

  private Cursor() {}

  /** Thrown for a cursor this service did not hand out (the API answers 400). */
  public static final class Malformed extends IllegalArgumentException {
    Malformed() {
      super("malformed cursor", null);
    }
  }

  public static String encode(String kind, Object... key) {
    JsonArray a = new JsonArray().add(kind);
    for (Object k : key) a.add(k);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(a.encode().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The sort key of a cursor of {@code kind}, each element of the given type ({@code Long} or
   * {@code String}). Returned without the kind tag.
   */
  public static JsonArray decode(String kind, String cursor, Class<?>... types) {
    if (cursor == null || cursor.isEmpty() || cursor.length() > MAX_CURSOR_CHARS || !BASE64URL.matcher(cursor).matches()) {
      throw new Malformed();
    }
    JsonArray a;
    try {
      byte[] bytes = Base64.getUrlDecoder().decode(cursor);
      String json = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
      if (!(io.vertx.core.json.Json.decodeValue(json) instanceof JsonArray parsed)) throw new Malformed();
      a = parsed;
    } catch (IllegalArgumentException | DecodeException | CharacterCodingException e) {
      throw new Malformed();
    }
    if (a.size() != types.length + 1 || !kind.equals(a.getValue(0))) throw new Malformed();
    JsonArray key = new JsonArray();
    for (int i = 0; i < types.length; i++) {
      Object v = a.getValue(i + 1);
      if (types[i] == Long.class && (v instanceof Integer || v instanceof Long)) {
        key.add(((Number) v).longValue());
      } else if (types[i] == String.class && v instanceof String s && !s.isEmpty() && s.length() <= MAX_KEY_CHARS) {
        key.add(s);
      } else {
        throw new Malformed();
      }
    }
    // Canonical form only: a cursor that decodes but is not what encode() would write was edited.
    Object[] values = key.getList().toArray();
    if (!encode(kind, values).equals(cursor)) throw new Malformed();
    return key;
  }
}
