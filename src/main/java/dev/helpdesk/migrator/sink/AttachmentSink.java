package dev.helpdesk.migrator.sink;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/** The copy step's side of the attachments table: what is still pending, and how each copy ended. */
public final class AttachmentSink {
  private AttachmentSink() {}

  public record Pending(String attachmentId, String threadId, String messageId, String url) {}

  /** How one copy ended: copied (sha256 set) or failed (reason set). */
  public record Result(Pending attachment, String sha256, long size, String contentType, String failure, int attempts) {
    public boolean copied() {
      return failure == null;
    }
  }

  private static final String PENDING = """
      select attachment_id, thread_id, message_id, url from attachments
      where account_id = $1 and state = 'pending' and migrated_job = $2 and attachment_id > $3
      order by attachment_id limit $4""";

  /** Only rows still pending for this run change, so a replayed result is never counted twice. */
  private static final String SETTLE = """
      update attachments a set state = u.state, blob_sha256 = u.sha, stored_content_type = u.ct, stored_size = u.size,
        attempts = a.attempts + u.attempts, updated_at = now()
      from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[])
        as u(id, state, sha, ct, size, attempts)
      where a.attachment_id = u.id and a.state = 'pending' and a.migrated_job = $1
      returning a.attachment_id""";

  public static Future<List<Pending>> pending(SqlClient sql, String accountId, long jobId, String afterId, int limit) {
    return sql.preparedQuery(PENDING).execute(Tuple.of(accountId, jobId, afterId == null ? "" : afterId, limit))
        .map(rows -> {
          List<Pending> out = new ArrayList<>(rows.size());
          rows.forEach(r -> out.add(new Pending(r.getString(0), r.getString(1), r.getString(2), r.getString(3))));
          return out;
        });
  }

  /** Records the results; answers the ids whose row changed (the ones to count). */
  public static Future<List<String>> settle(SqlClient tx, long jobId, List<Result> results) {
    int n = results.size();
    String[] ids = new String[n], states = new String[n], shas = new String[n], types = new String[n];
    Long[] sizes = new Long[n];
    Integer[] attempts = new Integer[n];
    for (int i = 0; i < n; i++) {
      Result r = results.get(i);
      ids[i] = r.attachment().attachmentId();
      states[i] = r.copied() ? "copied" : "failed";
      shas[i] = r.sha256();
      types[i] = r.contentType();
      sizes[i] = r.copied() ? r.size() : null;
      attempts[i] = r.attempts();
    }
    return tx.preparedQuery(SETTLE).execute(Tuple.of(jobId, ids, states, shas, types, sizes, attempts)).map(rows -> {
      List<String> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(r.getString(0)));
      return out;
    });
  }
}
