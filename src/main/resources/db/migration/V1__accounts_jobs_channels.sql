-- Accounts as the helpdesk knows them, with the migration state machine of CONTRACT §3.2.
create table accounts (
  account_id        text primary key,
  name              text not null,
  status            text not null default 'active',
  migration_status  text not null default 'not_started'
    check (migration_status in ('not_started', 'not_needed', 'migrating', 'channels_only',
                                'recent_messages_only', 'completed', 'paused', 'failed')),
  -- where a paused run resumes
  paused_from       text,
  checked           boolean not null default false,
  thread_count      integer,
  failure_reason    text,
  progress          jsonb,
  reconciliation    jsonb,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now()
);

-- One row per accepted run. It exists before the 202 goes out, so a restart never loses a run.
create table migration_jobs (
  job_id        bigserial primary key,
  account_id    text not null references accounts (account_id),
  force         boolean not null default false,
  -- lower is claimed first: 0 for the app, 1 for Conversations, 2 for bulk runs
  priority      smallint not null,
  state         text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed')),
  phase         text not null default 'channels',
  checkpoint    jsonb not null default '{}'::jsonb,
  -- fixed when the run is accepted so that a resumed run uses the same split
  recent_cutoff bigint not null,
  run_started   bigint not null,
  lease_owner   text,
  lease_until   timestamptz,
  -- bumped on every claim: a write that carries an older epoch came from a stale owner
  lease_epoch   bigint not null default 0,
  attempts      integer not null default 0,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create unique index migration_jobs_one_live_per_account
  on migration_jobs (account_id) where state in ('queued', 'running');
create index migration_jobs_claimable on migration_jobs (priority, job_id) where state in ('queued', 'running');

-- `source` is the item as Conversations sent it, JSON-encoded as text: lossless even where the
-- display columns had to replace U+0000, which PostgreSQL text and jsonb cannot hold.
create table brands (
  account_id  text not null references accounts (account_id),
  brand_id    text not null,
  name        text,
  domain      text,
  source      text not null,
  updated_at  timestamptz not null default now(),
  primary key (account_id, brand_id)
);

create table channels (
  account_id  text not null references accounts (account_id),
  channel_id  text not null,
  brand_id    text not null,
  type        text not null,
  name        text,
  address     text,
  source      text not null,
  updated_at  timestamptz not null default now(),
  primary key (account_id, channel_id)
);

-- Instances see each other through their heartbeats (used to split a deployment-wide read rate).
create table instances (
  instance_id  text primary key,
  seen_at      timestamptz not null default now()
);
