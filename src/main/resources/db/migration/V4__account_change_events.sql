-- The progress stream (GET /v1/accounts/{accountId}/migration/events) works whichever instance runs
-- the job: every change of what GET /v1/accounts/{accountId} shows bumps the account's version and
-- notifies every instance's listener, which re-reads the row. The version is the events' id, so it
-- must move on every visible change and only then (a heartbeat-only update must not look like news).
alter table accounts add column change_seq bigint not null default 0;

create function accounts_bump_change_seq() returns trigger language plpgsql as $$
begin
  if (new.name, new.status, new.migration_status, new.checked, new.failure_reason, new.progress, new.reconciliation)
     is distinct from
     (old.name, old.status, old.migration_status, old.checked, old.failure_reason, old.progress, old.reconciliation) then
    new.change_seq := old.change_seq + 1;
  else
    -- no statement may move the version by hand: a client's Last-Event-ID would then skip or repeat
    new.change_seq := old.change_seq;
  end if;
  return new;
end $$;

create trigger accounts_change_seq before update on accounts
  for each row execute function accounts_bump_change_seq();

-- Only the id travels: NOTIFY payloads must stay under 8000 bytes, and a listener re-reads the row
-- anyway. An id too long for the payload (the API allows 200 characters, an operator's psql could do
-- more) sends '' ("re-read every account you watch") rather than failing the migration's commit.
-- NOTIFY is transactional: a rolled-back batch (a fenced-off owner) announces nothing.
create function accounts_notify_change() returns trigger language plpgsql as $$
begin
  perform pg_notify('account_changes', case when octet_length(new.account_id) < 7000 then new.account_id else '' end);
  return null;
end $$;

create trigger accounts_changed after update on accounts
  for each row when (old.change_seq is distinct from new.change_seq) execute function accounts_notify_change();
