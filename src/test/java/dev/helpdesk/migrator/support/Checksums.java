package dev.helpdesk.migrator.support;

import dev.helpdesk.loadtests.data.SourceSnapshot;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One checksum per thread over what a user reads (message ids, times, body bytes), computed
 * the same way from the DynamoDB source and from the migrated rows.
 */
public final class Checksums {
  private Checksums() {}

  public static Map<String, String> ofSource(SourceSnapshot source) {
    Map<String, String> out = new TreeMap<>();
    for (Map<String, AttributeValue> thread : source.threads()) {
      String threadId = thread.get("threadId").s();
      Digest d = new Digest();
      source.messages(threadId).stream()
          .sorted((a, b) -> a.get("messageId").s().compareTo(b.get("messageId").s()))
          .forEach(m -> d.add(m.get("messageId").s(), Long.parseLong(m.get("sentAt").n()),
              m.get("body") == null ? null : m.get("body").s().getBytes(StandardCharsets.UTF_8)));
      out.put(threadId, d.hex());
    }
    return out;
  }

  public static Map<String, String> ofTarget(TestService svc, String accountId) {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = svc.pg.connect(svc.database);
         var threads = c.prepareStatement("select thread_id from threads where account_id = ?");
         var messages = c.prepareStatement("select message_id, sent_at, body from messages where thread_id = ? order by message_id")) {
      threads.setString(1, accountId);
      try (ResultSet t = threads.executeQuery()) {
        while (t.next()) {
          String threadId = t.getString(1);
          Digest d = new Digest();
          messages.setString(1, threadId);
          try (ResultSet m = messages.executeQuery()) {
            while (m.next()) d.add(m.getString(1), m.getLong(2), m.getBytes(3));
          }
          out.put(threadId, d.hex());
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private static final class Digest {
    private final MessageDigest sha;

    Digest() {
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    void add(String messageId, long sentAt, byte[] body) {
      sha.update(messageId.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(Long.toString(sentAt).getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      if (body != null) sha.update(body);
      sha.update((byte) 1);
    }

    String hex() {
      return HexFormat.of().formatHex(sha.digest());
    }
  }
}
