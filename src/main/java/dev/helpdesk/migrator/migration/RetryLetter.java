package dev.helpdesk.migrator.migration;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * A dead letter a retry holds locked, with the run (its own, else the account's latest) whose rows
 * its recovery writes under. Its row ends in the letter's transaction: resolved, or still failing.
 */
record RetryLetter(long id, String accountId, String kind, JsonObject key, String reason, long jobId, long epoch) {
  private static final String RESOLVE = "update dead_letters set resolved_at = now() where id = $1";

  private static final String STILL_FAILING = """
      update dead_letters set attempts = attempts + 1, last_failed_at = now(), reason = $2 where id = $1""";

  /** How one letter ended: resolved or not, and what the account's counts gain. */
  record Outcome(boolean resolved, Counts delta) {}

  /** The item is still a bad record (or gone): the letter stays, with this reason. */
  static final class StillBad extends RuntimeException {
    StillBad(String reason) {
      super(reason, null, false, false);
    }
  }

  Future<Void> resolve(SqlConnection conn) {
    return conn.preparedQuery(RESOLVE).execute(Tuple.of(id)).mapEmpty();
  }

  /** A failure without a reason keeps the letter's old one. */
  Future<Void> stillFailing(SqlConnection conn, String failure) {
    String text = failure == null || failure.isEmpty() ? reason : failure.replace('\u0000', '\uFFFD');
    return conn.preparedQuery(STILL_FAILING).execute(Tuple.of(id, text)).mapEmpty();
  }
}
