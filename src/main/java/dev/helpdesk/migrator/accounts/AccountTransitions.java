package dev.helpdesk.migrator.accounts;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

/**
 * The runner's moves of an account's status. Each is conditional on the status it expects,
 * so a run only moves forward and never overwrites an operator's pause or a newer run.
 */
public final class AccountTransitions {
  private AccountTransitions() {}

  private static final String ADVANCE = """
      update accounts set migration_status = $2, progress = $3, updated_at = now()
      where account_id = $1 and migration_status = $4""";

  private static final String PROGRESS = """
      update accounts set progress = $2, updated_at = now()
      where account_id = $1 and migration_status in ('migrating', 'channels_only', 'recent_messages_only')""";

  private static final String COMPLETE = """
      update accounts set migration_status = 'completed', progress = $2, reconciliation = $3, updated_at = now()
      where account_id = $1 and migration_status = 'recent_messages_only'""";

  private static final String FAIL = """
      update accounts set migration_status = 'failed', failure_reason = $2, updated_at = now()
      where account_id = $1 and migration_status in ('migrating', 'channels_only', 'recent_messages_only')""";

  /** A resumed run whose job is past channels: the status catches up with the job, forward only. */
  private static final String RESUME_AT = """
      update accounts set migration_status = $2, updated_at = now()
      where account_id = $1 and migration_status = any($3)""";

  private static final String THREAD_COUNT = "select thread_count from accounts where account_id = $1";

  private static final String INSERT_MIGRATING = """
      insert into accounts (account_id, name, migration_status) values ($1, $2, 'migrating')""";

  /** Moves {@code from} → {@code to}; false when the account was not in {@code from} any more. */
  public static Future<Boolean> advance(SqlClient sql, String accountId, MigrationStatus from, MigrationStatus to,
                                        JsonObject progress) {
    return sql.preparedQuery(ADVANCE).execute(Tuple.of(accountId, to.wire(), progress, from.wire()))
        .map(r -> r.rowCount() == 1);
  }

  public static Future<Boolean> progress(SqlClient sql, String accountId, JsonObject progress) {
    return sql.preparedQuery(PROGRESS).execute(Tuple.of(accountId, progress)).map(r -> r.rowCount() == 1);
  }

  public static Future<Boolean> complete(SqlClient sql, String accountId, JsonObject progress, JsonObject reconciliation) {
    return sql.preparedQuery(COMPLETE).execute(Tuple.of(accountId, progress, reconciliation)).map(r -> r.rowCount() == 1);
  }

  public static Future<Boolean> fail(SqlClient sql, String accountId, String reason) {
    return sql.preparedQuery(FAIL).execute(Tuple.of(accountId, reason)).map(r -> r.rowCount() == 1);
  }

  /** Moves a running account forward to {@code to} if it is behind it; never backwards. */
  public static Future<Boolean> resumeAt(SqlClient sql, String accountId, MigrationStatus to) {
    String[] behind = MigrationStatus.RUNNING.stream().filter(s -> s.ordinal() < to.ordinal())
        .map(MigrationStatus::wire).toArray(String[]::new);
    return sql.preparedQuery(RESUME_AT).execute(Tuple.of(accountId, to.wire(), behind)).map(r -> r.rowCount() == 1);
  }

  /** An account as a run's first phase finds it; for the start-up warm-up's transactions, which are rolled back. */
  public static Future<Void> insertMigrating(SqlClient tx, String accountId, String name) {
    return tx.preparedQuery(INSERT_MIGRATING).execute(Tuple.of(accountId, name)).mapEmpty();
  }

  public static Future<Integer> threadCount(SqlClient sql, String accountId) {
    return sql.preparedQuery(THREAD_COUNT).execute(Tuple.of(accountId))
        .map(r -> r.size() == 0 ? null : r.iterator().next().getInteger("thread_count"));
  }
}
