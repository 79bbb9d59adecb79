package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Source and target of one account side by side: per thread a checksum over every message's
 * messageId, sentAt and body bytes, so any lost, duplicated or altered message shows.
 */
final class Parity {
  private Parity() {}

  /** What a correct migration makes of the source as it is now: planted bad records (and bad threads' messages) left out. */
  static Map<String, String> expected(TestService svc, String accountId, SeedSummary.AccountSummary summary) {
    SourceSnapshot snap = snapshot(accountId);
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
      out.put(threadId, checksum(rows, null));
    }
    return out;
  }

  static SourceSnapshot snapshot(String accountId) {
    return TestService.await(Future.fromCompletionStage(SourceSnapshot.read(TestService.dynalite().client(),
        dev.helpdesk.loadtests.data.SourceTables.defaults(), accountId)));
  }

  /** Thread id → checksum of its migrated messages; also checks message_count against the rows. */
  static Map<String, String> actual(TestService svc, String accountId) {
    Map<String, List<String[]>> byThread = new TreeMap<>();
    Map<String, byte[][]> bodies = new TreeMap<>();
    try (Connection c = svc.pg.connect(svc.database)) {
      try (var st = c.prepareStatement("select thread_id, message_count from threads where account_id = ?")) {
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
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    Map<String, String> out = new TreeMap<>();
    byThread.forEach((t, rows) -> out.put(t, checksum(rows, null)));
    return out;
  }

  private static String checksum(List<String[]> rows, Object unused) {
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
      return rows.size() + ":" + java.util.HexFormat.of().formatHex(sha.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The account's dead letters as "kind canonical-key". */
  static Set<String> deadLetters(TestService svc, String accountId) {
    Set<String> out = new HashSet<>();
    try (Connection c = svc.pg.connect(svc.database);
         var st = c.prepareStatement("select kind, source_key from dead_letters where account_id = ? and resolved_at is null")) {
      st.setString(1, accountId);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1) + " " + new JsonObject(rs.getString(2)).encode());
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  static Set<String> planted(SeedSummary.AccountSummary summary) {
    Set<String> out = new HashSet<>();
    summary.badRecords().forEach(b -> out.add(b.kind() + " " + new JsonObject(new TreeMap<String, Object>(b.sourceKey())).encode()));
    return out;
  }
}
