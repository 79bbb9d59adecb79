-- Failure notifications (webhook) as an outbox: one row per event, claimed by one instance at a time
-- with FOR UPDATE SKIP LOCKED into a lease (expires by the database clock), so that several instances
-- post each event once and an instance that dies mid-post leaves it to the others.
create table notifications (
  id               bigserial primary key,
  kind             text not null check (kind in ('migration_failed', 'dead_letters')),
  account_id       text not null,
  job_id           bigint,
  -- dead-letter warnings are found by a query, run by every instance: this key makes them once per run
  dedup_key        text unique,
  detail           jsonb not null default '{}'::jsonb,
  state            text not null default 'pending' check (state in ('pending', 'sent', 'given_up')),
  attempts         integer not null default 0,
  next_attempt_at  timestamptz not null default now(),
  lease_owner      text,
  lease_until      timestamptz,
  last_error       text,
  created_at       timestamptz not null default now(),
  sent_at          timestamptz
);
create index notifications_due on notifications (next_attempt_at, id) where state = 'pending';

-- A failure is recorded by the database itself, in the transaction that fails the account: polling
-- for failed accounts would miss one that is resumed (the app's retry button) before the next poll,
-- and the failure reason is cleared by that resume. Whatever path fails an account, the row is here.
-- The insert cannot conflict (no dedup key) and writes one small row, so it cannot fail the migration.
create function notifications_account_failed() returns trigger language plpgsql as $$
begin
  insert into notifications (kind, account_id, job_id, detail)
  values ('migration_failed', new.account_id,
          (select max(job_id) from migration_jobs where account_id = new.account_id),
          jsonb_build_object('failureReason', new.failure_reason));
  return null;
end $$;

create trigger accounts_failed_notification after update of migration_status on accounts
  for each row when (new.migration_status = 'failed' and old.migration_status is distinct from 'failed')
  execute function notifications_account_failed();
