package dev.helpdesk.migrator.sink;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * The last step of a {@code force} run (CONTRACT §3.2): every row of the account that this run
 * did not write belongs to a source item that no longer exists (or is now a bad record), so it
 * goes. Runs only after the run has written everything it read.
 */
public final class ForceCleanup {
  private ForceCleanup() {}

  public record Removed(long threads, long messages, long attachments) {}

  private static final String ATTACHMENTS = "delete from attachments where account_id = $1 and migrated_job <> $2";

  /** Threads that keep living but lost messages get their migrated count fixed in the same statement. */
  private static final String MESSAGES = """
      with gone as (delete from messages where account_id = $1 and migrated_job <> $2 returning thread_id),
      touched as (select thread_id, count(*) as n from gone group by thread_id)
      update threads t set message_count = greatest(0, t.message_count - touched.n), updated_at = now()
      from touched where t.thread_id = touched.thread_id and t.migrated_job = $2""";

  private static final String MESSAGES_COUNT = """
      select count(*) from messages where account_id = $1 and migrated_job <> $2""";

  private static final String THREADS = "delete from threads where account_id = $1 and migrated_job <> $2";

  public static Future<Removed> run(SqlClient tx, String accountId, long jobId) {
    Tuple args = Tuple.of(accountId, jobId);
    return tx.preparedQuery(ATTACHMENTS).execute(args).compose(a ->
        tx.preparedQuery(MESSAGES_COUNT).execute(args).compose(mc ->
            tx.preparedQuery(MESSAGES).execute(args).compose(m ->
                tx.preparedQuery(THREADS).execute(args).map(t ->
                    new Removed(t.rowCount(), mc.iterator().next().getLong(0), a.rowCount())))));
  }
}
