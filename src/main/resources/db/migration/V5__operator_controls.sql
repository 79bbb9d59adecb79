-- Bulk runs (operators, README "Operator controls"): a list of accounts created and migrated at a
-- chosen rate and concurrency. Everything the driver needs is here, so whichever instance holds the
-- lease (expires by the database clock) carries on after a restart or a crash.
create table bulk_runs (
  bulk_id        bigserial primary key,
  rate_per_sec   double precision not null check (rate_per_sec > 0),
  concurrency    integer not null check (concurrency > 0),
  state          text not null default 'running' check (state in ('running', 'done', 'cancelled')),
  -- pacing shared by whichever instance drives the run: the next start is due at this time
  next_start_at  timestamptz not null default now(),
  lease_owner    text,
  lease_until    timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  finished_at    timestamptz
);
create index bulk_runs_running on bulk_runs (bulk_id) where state = 'running';

-- One row per listed account, started in list order. `started` means a run was accepted (or was
-- already running) and is watched until the account is completed, failed or not_needed.
create table bulk_run_accounts (
  bulk_id      bigint not null references bulk_runs (bulk_id),
  position     integer not null,
  account_id   text not null references accounts (account_id),
  state        text not null default 'queued'
    check (state in ('queued', 'starting', 'started', 'completed', 'failed', 'not_needed', 'skipped', 'cancelled')),
  -- why it was skipped (the start answer's reason) or failed
  reason       text,
  -- the instance that is starting it: a `starting` row of another instance than the lease holder's was
  -- left by a previous holder (dead, or stalled past its lease) and goes back to the queue
  starter      text,
  started_at   timestamptz,
  finished_at  timestamptz,
  primary key (bulk_id, position),
  unique (bulk_id, account_id)
);
create index bulk_run_accounts_open on bulk_run_accounts (bulk_id, position) where state in ('queued', 'starting', 'started');

-- a purge deletes a copied file only when no other account's attachment row names the same bytes
create index attachments_blob on attachments (blob_sha256) where blob_sha256 is not null;
