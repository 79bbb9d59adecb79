package dev.helpdesk.migrator.accounts;

/** SQL of the tables this package owns: accounts and the acceptance of migration jobs. */
final class AccountSql {
  private AccountSql() {}

  static final String COLUMNS =
      "account_id, name, status, migration_status, checked, failure_reason, progress, reconciliation";

  static final String UPSERT = """
      insert into accounts (account_id, name) values ($1, $2)
      on conflict (account_id) do update set name = excluded.name,
        updated_at = case when accounts.name is distinct from excluded.name then now() else accounts.updated_at end
      returning (xmax = 0) as created, """ + " " + COLUMNS;

  static final String GET = "select " + COLUMNS + " from accounts where account_id = $1";

  static final String GET_MANY = "select " + COLUMNS + " from accounts where account_id = any($1)";

  /** Conversations knows the account: remember it (and its size) so we do not ask again. */
  static final String MARK_EXISTS = """
      update accounts set checked = true, thread_count = $2, updated_at = now()
      where account_id = $1 returning """ + " " + COLUMNS;

  /** Conversations never heard of it; only a never-started account can become not_needed. */
  static final String MARK_NOT_NEEDED = """
      update accounts set checked = true,
        migration_status = case when migration_status = 'not_started' then 'not_needed' else migration_status end,
        updated_at = now()
      where account_id = $1 returning """ + " " + COLUMNS;

  /**
   * The one conditional transition that accepts a run. The locked sub-select hands back the
   * status the row had, which decides between resuming a failed run and starting a new one.
   */
  static final String ACCEPT = """
      update accounts a set migration_status = 'migrating', failure_reason = null, reconciliation = null,
        paused_from = null, updated_at = now(),
        progress = case when prev.previous = 'failed' and not $3 then a.progress else $4::jsonb end
      from (select account_id, migration_status as previous from accounts where account_id = $1 for update) prev
      where a.account_id = prev.account_id and prev.previous = any($2)
      returning prev.previous, a.thread_count""";

  static final String REQUEUE_FAILED_JOB = """
      update migration_jobs set state = 'queued', lease_owner = null, lease_until = null,
        priority = least(priority, $2), updated_at = now()
      where job_id = (select max(job_id) from migration_jobs where account_id = $1 and state = 'failed')
      returning job_id""";


  static final String INSERT_JOB = """
      insert into migration_jobs (account_id, force, priority, recent_cutoff, run_started)
      values ($1, $2, $3, $4, $5) returning job_id""";
}
