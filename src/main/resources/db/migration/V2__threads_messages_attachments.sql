-- Migrated conversations, keyed by the source keys so that replaying any page never duplicates a row.
-- JSON taken from the source is stored as text, never jsonb: jsonb cannot hold U+0000.
create table threads (
  thread_id            text primary key,               -- unique across accounts (CONTRACT §1)
  account_id           text not null references accounts (account_id),
  channel_id           text not null,
  subject              text,
  status               text,
  customer             text,                           -- plain JSON text
  created_at           bigint not null,                -- epoch ms, as in the source
  last_message_at      bigint not null,
  source_message_count bigint,                         -- Conversations' own, possibly stale, count
  tags                 text,                           -- JSON array text
  extra                text,                           -- attributes the contract does not name, DynamoDB-JSON text
  message_count        integer not null default 0,     -- as migrated
  migrated_epoch       bigint not null default 0,      -- lease epoch of the run that last wrote it
  migrated_job         bigint not null default 0,      -- job (run) that last wrote it: epochs restart per job, so force
                                                       -- clean-up and "already counted in this run" key on the job
  updated_at           timestamptz not null default now()
);
create index threads_account_recent on threads (account_id, last_message_at desc, thread_id desc);

create table messages (
  thread_id     text not null references threads (thread_id),
  message_id    text not null,
  account_id    text not null,
  sent_at       bigint not null,
  direction     text not null,
  author        text not null,                         -- plain JSON text
  body          bytea,                                 -- UTF-8 bytes: lossless, U+0000 included; null when absent
  content_type  text,
  telephony     text,                                  -- plain JSON text
  extra         text,                                  -- DynamoDB-JSON text
  migrated_epoch bigint not null default 0,
  migrated_job  bigint not null default 0,
  primary key (thread_id, message_id)
);
create index messages_order on messages (thread_id, sent_at, message_id);
create index messages_account on messages (account_id);

create table attachments (
  attachment_id  text primary key,                     -- unique across accounts
  account_id     text not null,
  thread_id      text not null,
  message_id     text not null,
  position       integer not null,                     -- order within the message
  url            text not null,
  file_name      text,
  content_type   text,                                 -- as the source declared it
  size           bigint,                               -- as the source declared it
  state          text not null default 'pending' check (state in ('pending', 'copied', 'failed')),
  blob_sha256    text,                                 -- where the copied bytes are in ATTACHMENTS_DIR
  stored_content_type text,
  stored_size    bigint,
  attempts       integer not null default 0,
  migrated_epoch bigint not null default 0,
  migrated_job   bigint not null default 0,
  updated_at     timestamptz not null default now()
);
create index attachments_message on attachments (thread_id, message_id, position);
-- the copy step pages through an account's pending attachments by id
create index attachments_pending on attachments (account_id, attachment_id) where state = 'pending';
create index attachments_account on attachments (account_id);

create table dead_letters (
  id               bigserial primary key,
  account_id       text not null references accounts (account_id),
  kind             text not null check (kind in ('thread', 'message', 'attachment')),
  source_key       text not null,                      -- canonical JSON text of the item's key attributes
  reason           text not null,
  attempts         integer not null default 1,
  first_failed_at  timestamptz not null default now(),
  last_failed_at   timestamptz not null default now(),
  resolved_at      timestamptz,                        -- set when a retry succeeded
  job_id           bigint,                             -- the run that last recorded it (counted once per run)
  unique (account_id, kind, source_key)
);
create index dead_letters_open on dead_letters (account_id, id) where resolved_at is null;
