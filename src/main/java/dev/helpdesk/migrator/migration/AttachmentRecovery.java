package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.migration.RetryLetter.Outcome;
import dev.helpdesk.migrator.migration.RetryLetter.StillBad;
import dev.helpdesk.migrator.sink.AttachmentSink.Pending;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * Retries an attachment's dead letter: its row is fetched again (same fetcher, same URL policy);
 * copied → the row is copied and the letter resolved. A letter whose entry was malformed in the
 * source has no row: it stays. The row is updated by id rather than through
 * {@link AttachmentCopier#record}, which only changes rows still pending for a run: a dead-lettered
 * row has failed already, possibly in an earlier run.
 */
final class AttachmentRecovery {
  private static final String ATTACHMENT = """
      select thread_id, message_id, url, state from attachments where attachment_id = $1 and account_id = $2
      for update""";

  private static final String ATTACHMENT_COPIED = """
      update attachments set state = 'copied', blob_sha256 = $2, stored_content_type = $3, stored_size = $4,
        attempts = attempts + $5, updated_at = now()
      where attachment_id = $1""";

  private static final String ATTACHMENT_FAILED = """
      update attachments set attempts = attempts + $2, updated_at = now() where attachment_id = $1""";

  private final AttachmentCopier copier;

  AttachmentRecovery(AttachmentCopier copier) {
    this.copier = copier;
  }

  Future<Outcome> recover(SqlConnection conn, RetryLetter letter) {
    String attachmentId = letter.key().getString("attachmentId");
    // an entry without a usable id has no row: nothing to fetch
    if (attachmentId == null) return Future.failedFuture(new StillBad(letter.reason()));
    return conn.preparedQuery(ATTACHMENT).execute(Tuple.of(attachmentId, letter.accountId())).compose(rows -> {
      // no row: its entry was malformed in the source (or refused by PostgreSQL), so nothing to copy
      if (rows.size() == 0) return Future.failedFuture(new StillBad(letter.reason()));
      Row row = rows.iterator().next();
      Counts delta = new Counts();
      delta.recovered("attachment");
      if ("copied".equals(row.getString("state"))) {
        return letter.resolve(conn).map(v -> new Outcome(true, delta));
      }
      Pending p = new Pending(attachmentId, row.getString("thread_id"), row.getString("message_id"), row.getString("url"));
      // no waiting out an outage while this letter's locks are held: a failure just keeps the letter
      return copier.copy(p, AttachmentCopier.Outage.FAIL_FAST).compose(r -> {
        if (r.copied()) {
          return conn.preparedQuery(ATTACHMENT_COPIED)
              .execute(Tuple.of(attachmentId, r.sha256(), r.contentType(), r.size(), r.attempts()))
              .compose(v -> letter.resolve(conn))
              .map(v -> new Outcome(true, delta));
        }
        return conn.preparedQuery(ATTACHMENT_FAILED).execute(Tuple.of(attachmentId, r.attempts()))
            .compose(v -> letter.stillFailing(conn, r.failure()))
            .map(v -> new Outcome(false, new Counts()));
      });
    });
  }
}
