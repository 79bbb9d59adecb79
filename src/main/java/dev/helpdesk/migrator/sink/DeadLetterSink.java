package dev.helpdesk.migrator.sink;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Bad records (CONTRACT §1), one row per item and kind: a record that fails again bumps its
 * attempts instead of adding a row, so a replayed page never inflates the list.
 */
public final class DeadLetterSink {
  private DeadLetterSink() {}

  /** @param sourceKey canonical JSON text of the item's key attributes (see {@link #key}) */
  public record DeadLetter(String kind, String sourceKey, String reason) {
    /** Identity within an account: kind and key. */
    public String id() {
      return kind + '\u0000' + sourceKey;
    }
  }

  private static final String UPSERT = """
      insert into dead_letters (account_id, kind, source_key, reason, job_id)
      select $1, d.kind, d.key, d.reason, $2 from unnest($3::text[], $4::text[], $5::text[]) as d(kind, key, reason)
      on conflict (account_id, kind, source_key) do update set reason = excluded.reason,
        attempts = dead_letters.attempts + 1, last_failed_at = now(), resolved_at = null, job_id = excluded.job_id""";

  private static final String RECORDED_BY = """
      select d.kind, d.source_key from dead_letters d
      join unnest($3::text[], $4::text[]) as k(kind, key) on d.kind = k.kind and d.source_key = k.key
      where d.account_id = $1 and d.job_id = $2""";

  /** Dead letters an earlier run left that this completed run did not meet again: their items are fine now, or gone. */
  private static final String RESOLVE_STALE = """
      update dead_letters set resolved_at = now()
      where account_id = $1 and resolved_at is null and job_id is distinct from $2""";

  private static final String RESOLVE = """
      update dead_letters set resolved_at = now()
      where account_id = $1 and kind = $2 and source_key = any($3) and resolved_at is null""";

  /** Canonical JSON (sorted keys) so the same item always maps to the same row. */
  public static String key(Map<String, ?> attributes) {
    return new JsonObject(new TreeMap<String, Object>(attributes)).encode();
  }

  /** The source key of a thread's dead letter. */
  public static String threadKey(String accountId, String threadId) {
    return key(Map.of("accountId", accountId, "threadId", threadId));
  }

  public static Future<Void> upsert(SqlClient tx, String accountId, long jobId, Collection<DeadLetter> letters) {
    if (letters.isEmpty()) return Future.succeededFuture();
    int n = letters.size(), i = 0;
    String[] kinds = new String[n], keys = new String[n], reasons = new String[n];
    for (DeadLetter d : letters) {
      kinds[i] = d.kind();
      keys[i] = d.sourceKey();
      reasons[i++] = Text.displayable(d.reason());
    }
    return tx.preparedQuery(UPSERT).execute(Tuple.of(accountId, jobId, kinds, keys, reasons)).mapEmpty();
  }

  /** The ids ({@link DeadLetter#id()}) of these letters that this run has already recorded (and counted). */
  public static Future<Set<String>> recordedBy(SqlClient tx, String accountId, long jobId, Collection<DeadLetter> letters) {
    if (letters.isEmpty()) return Future.succeededFuture(Set.of());
    String[] kinds = letters.stream().map(DeadLetter::kind).toArray(String[]::new);
    String[] keys = letters.stream().map(DeadLetter::sourceKey).toArray(String[]::new);
    return tx.preparedQuery(RECORDED_BY).execute(Tuple.of(accountId, jobId, kinds, keys)).map(rows -> {
      Set<String> out = new HashSet<>();
      rows.forEach(r -> out.add(new DeadLetter(r.getString(0), r.getString(1), "").id()));
      return out;
    });
  }

  /** Closes the open letters of these items: a later attempt (a resumed run's) stored them after all. */
  public static Future<Void> resolve(SqlClient tx, String accountId, String kind, List<String> sourceKeys) {
    if (sourceKeys.isEmpty()) return Future.succeededFuture();
    return tx.preparedQuery(RESOLVE).execute(Tuple.of(accountId, kind, sourceKeys.toArray(String[]::new))).mapEmpty();
  }

  public static Future<Void> resolveStale(SqlClient tx, String accountId, long jobId) {
    return tx.preparedQuery(RESOLVE_STALE).execute(Tuple.of(accountId, jobId)).mapEmpty();
  }
}
