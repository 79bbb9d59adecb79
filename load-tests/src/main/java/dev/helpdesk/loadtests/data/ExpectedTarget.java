package dev.helpdesk.loadtests.data;

import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An account's source and its migration side by side, for the tests' parity checks and the soak:
 * per thread "n:sha256" over every message's messageId, sentAt and body bytes, so any lost,
 * duplicated or altered message shows. One definition, so that the tests and the soak cannot
 * disagree on what "exact" means.
 */
public final class ExpectedTarget {
  private ExpectedTarget() {}

  /** What a correct migration makes of the source: planted bad records (and bad threads' messages) left out. */
  public static Map<String, String> of(SourceSnapshot snap, SeedSummary.AccountSummary summary) {
    Set<String> badThreads = new HashSet<>();
    summary.badRecords("thread").forEach(b -> badThreads.add(b.sourceKey().get("threadId")));
    Set<String> badMessages = new HashSet<>();
    summary.badRecords("message").forEach(b -> badMessages.add(b.sourceKey().get("threadId") + "/" + b.sourceKey().get("messageId")));
    Map<String, String> out = new TreeMap<>();
    for (Map<String, AttributeValue> t : snap.threads()) {
      String threadId = t.get("threadId").s();
      if (badThreads.contains(threadId)) continue;
      List<String[]> rows = new ArrayList<>();
      for (Map<String, AttributeValue> m : snap.messages(threadId)) {
        String messageId = m.get("messageId").s();
        if (badMessages.contains(threadId + "/" + messageId)) continue;
        AttributeValue body = m.get("body");
        rows.add(new String[] {messageId, m.get("sentAt").n(), body == null ? null : body.s()});
      }
      out.put(threadId, checksum(rows));
    }
    return out;
  }

  /** The same checksums over the account's migrated rows; a thread without messages still counts. */
  public static Map<String, String> migrated(Connection c, String accountId) throws SQLException {
    Map<String, List<String[]>> byThread = new TreeMap<>();
    try (var st = c.prepareStatement("select thread_id from threads where account_id = ?")) {
      st.setString(1, accountId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) byThread.put(rs.getString(1), new ArrayList<>());
      }
    }
    try (var st = c.prepareStatement("select thread_id, message_id, sent_at, body from messages where account_id = ?")) {
      st.setString(1, accountId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          byte[] body = rs.getBytes(4);
          byThread.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new String[] {rs.getString(2),
              Long.toString(rs.getLong(3)), body == null ? null : new String(body, StandardCharsets.UTF_8)});
        }
      }
    }
    Map<String, String> out = new TreeMap<>();
    byThread.forEach((t, rows) -> out.put(t, checksum(rows)));
    return out;
  }

  /**
   * "n:sha256" over rows of {messageId, sentAt, body or null}, sorted by messageId (in place) so
   * that the order the rows were read in does not matter.
   */
  public static String checksum(List<String[]> rows) {
    rows.sort((a, b) -> a[0].compareTo(b[0]));
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String[] r : rows) {
        sha.update(r[0].getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0x1f);
        sha.update(r[1].getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0x1f);
        if (r[2] != null) sha.update(r[2].getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0x1e);
      }
      return rows.size() + ":" + HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
