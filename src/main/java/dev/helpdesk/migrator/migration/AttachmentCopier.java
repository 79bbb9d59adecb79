package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.media.MediaFailure;
import dev.helpdesk.migrator.media.MediaFetcher;
import dev.helpdesk.migrator.sink.AttachmentSink;
import dev.helpdesk.migrator.sink.AttachmentSink.Pending;
import dev.helpdesk.migrator.sink.AttachmentSink.Result;
import dev.helpdesk.migrator.sink.DeadLetterSink;
import dev.helpdesk.migrator.sink.DeadLetterSink.DeadLetter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.SqlClient;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies pending attachments with the {@link MediaFetcher} and records how they ended, for the
 * run's attachments phase and for a dead-letter retry alike, so that both count and dead-letter a
 * copy the same way.
 */
final class AttachmentCopier {
  /** How long a copy waits out an open media breaker before giving up: about two minutes. */
  private static final int OPEN_BREAKER_ROUNDS = 60;
  private static final long OPEN_BREAKER_WAIT_MS = 2_000;

  /** What a copy does when the media breaker is open. */
  enum OpenBreaker {
    /**
     * The run's attachments phase: an open breaker says the media service is down, not that this
     * attachment is bad, so wait for the breaker's half-open probe rather than dead-letter every
     * attachment of the outage.
     */
    WAIT,
    /**
     * A dead-letter retry: it holds its letter's transaction and row locks while it copies, and a
     * copy that fails only leaves the letter listed for the next retry, so it fails at once.
     */
    FAIL
  }

  private final Vertx vertx;
  private final MediaFetcher fetcher;

  AttachmentCopier(Vertx vertx, MediaFetcher fetcher) {
    this.vertx = vertx;
    this.fetcher = fetcher;
  }

  /** One copy; a failure is a result, not a failed future. */
  Future<Result> copy(Pending p, OpenBreaker openBreaker) {
    return copy(p, openBreaker, 1);
  }

  private Future<Result> copy(Pending p, OpenBreaker openBreaker, int round) {
    return fetcher.fetch(p.attachmentId(), p.url())
        .map(f -> new Result(p, f.sha256(), f.size(), f.contentType(), null, 1))
        .recover(t -> {
          if (openBreaker == OpenBreaker.WAIT && t instanceof MediaFailure mf
              && mf.kind() == MediaFailure.Kind.CIRCUIT_OPEN && round < OPEN_BREAKER_ROUNDS) {
            Promise<Void> later = Promise.promise();
            vertx.setTimer(OPEN_BREAKER_WAIT_MS, id -> later.complete());
            return later.future().compose(v -> copy(p, openBreaker, round + 1));
          }
          return Future.succeededFuture(t instanceof MediaFailure mf
              ? new Result(p, null, 0, null, mf.reason(), Math.max(1, mf.attempts()))
              : new Result(p, null, 0, null, "copy failed: " + t, 1));
        });
  }

  /**
   * Records the results in the caller's transaction under the given run. Only the rows that were
   * still pending for that run change, and only those go into {@code delta} (written, or dead with
   * a dead letter), so a result recorded twice is never counted twice.
   */
  Future<Void> record(SqlClient tx, String accountId, long jobId, List<Result> results, Counts delta) {
    return AttachmentSink.settle(tx, jobId, results).compose(changed -> {
      Set<String> counted = new HashSet<>(changed);
      List<DeadLetter> letters = new ArrayList<>();
      for (Result r : results) {
        if (!counted.contains(r.attachment().attachmentId())) continue;
        if (r.copied()) {
          delta.written("attachment");
        } else {
          delta.dead("attachment");
          Pending p = r.attachment();
          letters.add(new DeadLetter("attachment", DeadLetterSink.key(Map.of("threadId", p.threadId(),
              "messageId", p.messageId(), "attachmentId", p.attachmentId())), r.failure()));
        }
      }
      return DeadLetterSink.upsert(tx, accountId, jobId, letters);
    });
  }
}
