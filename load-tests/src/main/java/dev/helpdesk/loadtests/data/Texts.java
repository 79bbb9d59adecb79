package dev.helpdesk.loadtests.data;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Message bodies and names with the variety real inboxes have: scripts, emoji, markup, control characters. */
final class Texts {
  private Texts() {}

  record Body(String text, String contentType) {}

  private static final String[] PLAIN = {
      "Hi, my order hasn't arrived yet. Can you check?",
      "Thanks for the quick reply!",
      "I was charged twice for the same invoice.",
      "Could you reset my password please",
      "Where can I download last month's receipt?",
      "ok",
      "Line one\nLine two\n\n\tindented line three   ",
      "Price is 5 < 7 & \"quotes\" 'single' \\backslash",
  };
  private static final String[] EMOJI = {
      "Thanks!! 👍🏽🎉", "Family plan 👨‍👩‍👧‍👦 please", "🔥🔥🔥 urgent", "Flags 🇫🇷🇯🇵 and keycap 1️⃣", "🙂"
  };
  private static final String[] RTL = {
      "مرحبا، أحتاج مساعدة في طلبي رقم 42",
      "שלום, ההזמנה שלי לא הגיעה",
      "Mixed: order #123 ‏בבקשה‏ thanks",
      "\u202Eevil override\u202C and back",
  };
  private static final String[] COMBINING = {
      "Cafe\u0301 na\u0308ive re\u0301sume\u0301",
      "Z\u0334\u0321a\u0335l\u0337g\u0338o t\u0336e\u0334x\u0335t",
      "\uD55C\uAD6D\uC5B4 and decomposed \u1112\u1161\u11AB",
  };
  private static final String[] CJK = {"你好，我的订单在哪里？", "注文した商品が届きません。", "감사합니다"};
  private static final String[] NUL = {"before\u0000after", "\u0000leading nul", "trailing nul\u0000", "bell\u0007 and nul\u0000 and unit\u001F sep"};
  private static final String[] HTML = {
      "<p>Hello <b>world</b></p>",
      "<div style=\"color:red\">Invoice <a href=\"https://example.com/i/1\">#1</a></div><br/>",
      "<p>Script stays text: &lt;script&gt;alert(1)&lt;/script&gt;</p><script>alert(2)</script>",
  };
  static final String[] NAMES = {"Ada Lovelace", "Zoë Ångström", "محمد عبد الله", "דוד כהן", "李小龙", "O'Brien-Smith", "Renée", "José Nuñez"};
  static final String[] FILE_NAMES = {"invoice.pdf", "photo.jpg", "screen shot 2024.png", "rapport été.pdf", "données.csv", "صورة.png", "notes.txt", "voice-note.mp3"};
  static final String[] CONTENT_TYPES = {"application/pdf", "image/jpeg", "image/png", "application/pdf", "text/csv", "image/png", "text/plain; charset=utf-8", "audio/mpeg"};

  static Body body(SplittableRandom rnd) {
    int roll = rnd.nextInt(100);
    if (roll < 10) return new Body(pick(HTML, rnd), "text/html");
    if (roll < 18) return plain(pick(EMOJI, rnd));
    if (roll < 26) return plain(pick(RTL, rnd));
    if (roll < 30) return plain(pick(COMBINING, rnd));
    if (roll < 33) return plain(pick(CJK, rnd));
    if (roll < 36) return plain(pick(NUL, rnd));
    if (roll < 40) return plain(longText(rnd, 2_000 + rnd.nextInt(6_000)));
    return plain(pick(PLAIN, rnd));
  }

  /** A body of exactly {@code utf8Bytes} UTF-8 bytes mixing scripts, so size limits are tested on bytes, not chars. */
  static String hugeBody(int utf8Bytes) {
    String unit = "Huge body — ünïcödé 😀 مرحبا שלום 你好 nul\u0000 end. ";
    StringBuilder sb = new StringBuilder(utf8Bytes);
    int bytes = 0;
    int unitBytes = unit.getBytes(StandardCharsets.UTF_8).length;
    while (bytes + unitBytes <= utf8Bytes) {
      sb.append(unit);
      bytes += unitBytes;
    }
    while (bytes < utf8Bytes) {
      sb.append('x');
      bytes++;
    }
    return sb.toString();
  }

  static String pick(String[] pool, SplittableRandom rnd) {
    return pool[rnd.nextInt(pool.length)];
  }

  private static Body plain(String text) {
    return new Body(text, "text/plain");
  }

  private static String longText(SplittableRandom rnd, int chars) {
    StringBuilder sb = new StringBuilder(chars + 64);
    while (sb.length() < chars) {
      sb.append(pick(PLAIN, rnd)).append(rnd.nextInt(5) == 0 ? "\n\n" : " ");
    }
    return sb.toString();
  }
}
