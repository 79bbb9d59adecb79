package dev.helpdesk.loadtests.soak;

import dev.helpdesk.loadtests.data.ExpectedTarget;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceSnapshot;
import dev.helpdesk.loadtests.data.SourceTables;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.helpdesk.loadtests.soak.SoakClock.await;
import static dev.helpdesk.loadtests.soak.SoakClock.sleepQuietly;

/**
 * The soak's checks once the faults have stopped: each account against its source, then the
 * attachment directory for partial files. Collects the problems rather than stopping at the first,
 * so that one run shows everything that went wrong.
 */
final class SoakVerifier {
  private final SoakClock clock;
  private final SoakStack stack;
  private final SoakArrivals arrivals;
  private final List<String> problems = new ArrayList<>();
  private final Map<String, Integer> outcome = new TreeMap<>();
  private final long[] totals = new long[3]; // completed accounts, their messages, attachments copied

  SoakVerifier(SoakClock clock, SoakStack stack, SoakArrivals arrivals) {
    this.clock = clock;
    this.stack = stack;
    this.arrivals = arrivals;
  }

  /** Every arrived account's migration status; "absent" for one the service never created. */
  Map<String, String> statuses() {
    Map<String, String> out = new LinkedHashMap<>();
    withDb(c -> {
      try (var st = c.prepareStatement("select account_id, migration_status from accounts"); ResultSet rs = st.executeQuery()) {
        while (rs.next()) out.put(rs.getString(1), rs.getString(2));
      }
      return null;
    });
    for (String id : arrivals.accountIds()) out.putIfAbsent(id, "absent");
    return out;
  }

  /** Completed with exactly the source minus its planted bad records, or failed with a reason. */
  void verify(String id, String status) {
    outcome.merge(String.valueOf(status), 1, Integer::sum);
    if ("failed".equals(status)) {
      String reason = one("select failure_reason from accounts where account_id = ?", id);
      if (reason == null || reason.isBlank()) problems.add(id + ": failed without a reason");
      else clock.note(id + " failed: " + reason);
      return;
    }
    if (!"completed".equals(status)) {
      problems.add(id + ": ended " + status);
      return;
    }
    SeedSummary.AccountSummary summary = arrivals.seeded(id);
    SourceSnapshot snap = await(Future.fromCompletionStage(SourceSnapshot.read(stack.dynalite().client(), SourceTables.defaults(), id)));
    Map<String, String> expected = ExpectedTarget.of(snap, summary);
    Map<String, String> actual = withDb(c -> ExpectedTarget.migrated(c, id));
    long expectedMessages = expected.values().stream().mapToLong(v -> Long.parseLong(v.substring(0, v.indexOf(':')))).sum();
    long actualMessages = count("select count(*) from messages where account_id = ?", id);
    totals[0]++;
    totals[1] += actualMessages;
    if (expected.size() != actual.size()) problems.add(id + ": threads " + actual.size() + ", expected " + expected.size());
    if (expectedMessages != actualMessages) problems.add(id + ": messages " + actualMessages + ", expected " + expectedMessages);
    int differing = 0;
    for (var e : expected.entrySet()) if (!e.getValue().equals(actual.get(e.getKey()))) differing++;
    if (differing > 0) problems.add(id + ": " + differing + " thread checksum(s) differ from the source");
    long dupes = count("select count(*) from (select thread_id, message_id from messages where account_id = ? "
        + "group by 1, 2 having count(*) > 1) d", id);
    if (dupes > 0) problems.add(id + ": " + dupes + " duplicate message keys");
    long miscounted = count("select count(*) from threads t where account_id = ? and message_count <> "
        + "(select count(*) from messages m where m.thread_id = t.thread_id)", id);
    if (miscounted > 0) problems.add(id + ": " + miscounted + " threads whose message_count is not their rows");
    long pending = count("select count(*) from attachments where account_id = ? and state = 'pending'", id);
    if (pending > 0) problems.add(id + ": " + pending + " attachments still pending");
    long attachments = count("select count(*) from attachments where account_id = ?", id);
    long badAttachments = count("select count(*) from dead_letters where account_id = ? and kind = 'attachment' and resolved_at is null", id);
    totals[2] += count("select count(*) from attachments where account_id = ? and state = 'copied'", id);
    if (attachments + badAttachments < summary.goodAttachments()) {
      problems.add(id + ": " + attachments + " attachment rows + " + badAttachments + " dead letters < " + summary.goodAttachments());
    }
    String recon = one("select reconciliation::text from accounts where account_id = ?", id);
    if (recon == null) {
      problems.add(id + ": completed without a reconciliation");
    } else {
      JsonObject r = new JsonObject(recon);
      for (String kind : List.of("threads", "messages", "attachments")) {
        if (r.getJsonObject(kind) == null || !r.getJsonObject(kind).getBoolean("ok", false)) {
          problems.add(id + ": reconciliation of " + kind + " not ok: " + recon);
        }
      }
    }
  }

  /**
   * Stops every instance, starts one fresh (its start-up removes the partials of owners that are
   * gone, as a restarted deployment would) and counts the {@code .part} files left.
   */
  long partialsAfterRestart() {
    stack.instances().forEach(SoakInstance::terminate);
    long before = partialFiles();
    SoakInstance fresh = stack.instances().get(0);
    if (!fresh.start()) problems.add("the final instance did not start");
    sleepQuietly(1000);
    long after = partialFiles();
    fresh.terminate();
    clock.note("partial attachment files: " + before + " after the last kill, " + after + " after a restart's clean-up");
    if (after > 0) problems.add(after + " partial attachment file(s) left");
    return after;
  }

  private long partialFiles() {
    try (var files = Files.walk(stack.attachmentsDir())) {
      return files.filter(p -> p.toString().endsWith(".part")).count();
    } catch (Exception e) {
      return -1;
    }
  }

  List<String> problems() {
    return problems;
  }

  /** Migration status → accounts, in status order. */
  Map<String, Integer> outcome() {
    return outcome;
  }

  /** Completed accounts verified, their messages, their attachments copied. */
  long[] totals() {
    return totals;
  }

  private interface DbWork<T> {
    T run(Connection c) throws Exception;
  }

  /** Runs against the service's database, retrying while PostgreSQL is being restarted. */
  private <T> T withDb(DbWork<T> work) {
    Exception last = null;
    for (int attempt = 0; attempt < 60; attempt++) {
      try (Connection c = stack.pg().connect(stack.database())) {
        return work.run(c);
      } catch (Exception e) {
        last = e;
        sleepQuietly(500);
      }
    }
    throw new IllegalStateException(last);
  }

  private long count(String sql, String id) {
    return withDb(c -> {
      try (var st = c.prepareStatement(sql)) {
        st.setString(1, id);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
  }

  private String one(String sql, String id) {
    return withDb(c -> {
      try (var st = c.prepareStatement(sql)) {
        st.setString(1, id);
        try (ResultSet rs = st.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
  }
}
