package dev.helpdesk.migrator.migration;

import dev.helpdesk.loadtests.data.ExpectedTarget;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
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
    return ExpectedTarget.of(snapshot(accountId), summary);
  }

  static SourceSnapshot snapshot(String accountId) {
    return TestService.await(Future.fromCompletionStage(SourceSnapshot.read(TestService.dynalite().client(),
        dev.helpdesk.loadtests.data.SourceTables.defaults(), accountId)));
  }

  /** Thread id → checksum of its migrated messages. */
  static Map<String, String> actual(TestService svc, String accountId) {
    try (Connection c = svc.pg.connect(svc.database)) {
      return ExpectedTarget.migrated(c, accountId);
    } catch (SQLException e) {
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
