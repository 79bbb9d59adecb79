package dev.helpdesk.migrator.migration;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;

/**
 * A retried letter's change to its completed account's reconciliation and progress, in the
 * letter's transaction, so {@code read = written + dead letters} keeps holding with dead letters
 * counting the unresolved ones.
 */
final class RetryAccountCounts {
  private RetryAccountCounts() {}

  private static final String ACCOUNT = """
      select reconciliation, progress from accounts where account_id = $1 and migration_status = 'completed'
      for update""";

  private static final String ACCOUNT_COUNTS = """
      update accounts set reconciliation = $2, progress = $3, updated_at = now() where account_id = $1""";

  /**
   * The account must still be completed (locked last, after the letter and the rows); its
   * reconciliation and progress take in the delta.
   */
  static Future<Void> add(SqlConnection conn, String accountId, Counts delta) {
    return conn.preparedQuery(ACCOUNT).execute(Tuple.of(accountId)).compose(rows -> {
      if (rows.size() == 0) return Future.failedFuture(new JobStore.AccountLeft(accountId));
      if (delta.isZero()) return Future.succeededFuture();
      Row row = rows.iterator().next();
      JsonObject reconciliation = json(row.getValue("reconciliation"));
      JsonObject progress = json(row.getValue("progress"));
      JsonObject d = delta.toJson();
      JsonObject recon = reconciliation == null ? null : reconciliation.copy();
      long dead = 0;
      for (String kind : Counts.KINDS) {
        JsonObject k = d.getJsonObject(kind);
        dead += k.getLong("dead");
        if (recon == null) continue;
        JsonObject r = recon.getJsonObject(kind, new JsonObject()).copy();
        long read = r.getLong("itemsRead", 0L) + k.getLong("read");
        long written = r.getLong("rowsWritten", 0L) + k.getLong("written");
        long letters = r.getLong("deadLetters", 0L) + k.getLong("dead");
        recon.put(kind, r.put("itemsRead", read).put("rowsWritten", written).put("deadLetters", letters)
            .put("ok", read == written + letters));
      }
      JsonObject prog = progress == null ? null : progress.copy();
      if (prog != null) {
        prog.put("threadsMigrated", prog.getLong("threadsMigrated", 0L) + d.getJsonObject("threads").getLong("written"))
            .put("messagesMigrated", prog.getLong("messagesMigrated", 0L) + d.getJsonObject("messages").getLong("written"))
            .put("attachmentsMigrated", prog.getLong("attachmentsMigrated", 0L)
                + d.getJsonObject("attachments").getLong("written"))
            .put("deadLetters", Math.max(0, prog.getLong("deadLetters", 0L) + dead))
            .put("updatedAt", Instant.now().toString());
      }
      return conn.preparedQuery(ACCOUNT_COUNTS).execute(Tuple.of(accountId, recon, prog)).mapEmpty();
    });
  }

  private static JsonObject json(Object value) {
    if (value instanceof JsonObject o) return o;
    if (value instanceof String s) return new JsonObject(s);
    return null;
  }
}
