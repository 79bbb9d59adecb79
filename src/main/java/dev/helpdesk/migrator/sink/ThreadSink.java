package dev.helpdesk.migrator.sink;

import dev.helpdesk.migrator.source.ThreadItem;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Migrated threads: upserted by thread id, so replaying any page never duplicates a row. */
public final class ThreadSink {
  private ThreadSink() {}

  /** The upsert into {@code table}: the load-test harness measures the write ceiling with this very statement. */
  public static String upsertInto(String table) {
    return """
      insert into %s (thread_id, account_id, channel_id, subject, status, customer, created_at, last_message_at,
        source_message_count, tags, extra, migrated_epoch, migrated_job)
      select t.id, $1, t.channel, t.subject, t.status, t.customer, t.created, t.last, t.count, t.tags, t.extra, $2, $3
      from unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[],
        $11::bigint[], $12::text[], $13::text[]) as t(id, channel, subject, status, customer, created, last, count, tags, extra)
      on conflict (thread_id) do update set account_id = excluded.account_id, channel_id = excluded.channel_id,
        subject = excluded.subject, status = excluded.status, customer = excluded.customer,
        created_at = excluded.created_at, last_message_at = excluded.last_message_at,
        source_message_count = excluded.source_message_count, tags = excluded.tags, extra = excluded.extra,
        migrated_epoch = excluded.migrated_epoch, migrated_job = excluded.migrated_job, updated_at = now()""".formatted(table);
  }

  private static final String UPSERT = upsertInto("threads");

  /** message_count is what was migrated, so it is counted from the rows rather than taken from the source. */
  private static final String RECOUNT = """
      update threads t set message_count = (select count(*) from messages m where m.thread_id = t.thread_id),
        updated_at = now()
      where t.thread_id = any($1)""";

  /**
   * The threads of $1 this job has counted already: it wrote their row, or dead-lettered them ($2 holds
   * the threads' dead-letter keys). Only such a thread can have messages or attachments this job counted.
   * Written as {@code = any} look-ups: a first form, the unnested arrays with {@code exists (...) or exists (...)},
   * made the messages phases slower than the four per-item look-ups it replaced (WHALE 0.3: 25.8 and 26.4 s
   * against 23.1 s).
   */
  private static final String COUNTED_BY = """
      select thread_id, true from threads where thread_id = any($1) and migrated_job = $3
      union all
      select source_key, false from dead_letters
      where account_id = $4 and kind = 'thread' and source_key = any($2) and job_id = $3""";

  public static Future<Bulk.Outcome<ThreadItem>> upsert(SqlClient tx, String accountId, long epoch, long jobId,
                                                        List<ThreadItem> threads, boolean rowByRow) {
    return Bulk.run(tx, UPSERT, threads, rows -> {
      int n = rows.size();
      String[] ids = new String[n], channels = new String[n], subjects = new String[n], statuses = new String[n],
          customers = new String[n], tags = new String[n], extras = new String[n];
      Long[] created = new Long[n], last = new Long[n], counts = new Long[n];
      for (int i = 0; i < n; i++) {
        ThreadItem t = rows.get(i);
        ids[i] = t.threadId();
        channels[i] = t.channelId();
        subjects[i] = Text.displayable(t.subject());
        statuses[i] = Text.displayable(t.status());
        customers[i] = t.customerJson();
        created[i] = t.createdAt();
        last[i] = t.lastMessageAt();
        counts[i] = t.messageCount();
        tags[i] = t.tags() == null ? null : new JsonArray(List.copyOf(t.tags())).encode();
        extras[i] = t.extraJson();
      }
      return Tuple.of(accountId, epoch, jobId, ids, channels, subjects, statuses, customers, created, last)
          .addValue(counts).addValue(tags).addValue(extras);
    }, rowByRow);
  }

  public static Future<Void> recount(SqlClient tx, Set<String> threadIds) {
    String[] ids = threadIds.stream().filter(Text::storable).toArray(String[]::new);
    if (ids.length == 0) return Future.succeededFuture();
    return tx.preparedQuery(RECOUNT).execute(Tuple.of((Object) ids)).mapEmpty();
  }

  /** Which of these threads this job has already counted: written, or recorded as a dead letter. */
  public static Future<Set<String>> countedBy(SqlClient tx, String accountId, long jobId, List<String> threadIds) {
    if (threadIds.isEmpty()) return Future.succeededFuture(Set.of());
    Map<String, String> byLetter = new HashMap<>();
    for (String id : threadIds) byLetter.put(DeadLetterSink.threadKey(accountId, id), id);
    String[] ids = threadIds.stream().filter(Text::storable).toArray(String[]::new);
    String[] letters = byLetter.keySet().toArray(String[]::new);
    return tx.preparedQuery(COUNTED_BY).execute(Tuple.of(ids, letters, jobId, accountId)).map(rows -> {
      Set<String> out = new HashSet<>();
      rows.forEach(r -> out.add(r.getBoolean(1) ? r.getString(0) : byLetter.get(r.getString(0))));
      return out;
    });
  }
}
