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
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copies pending attachments with the {@link MediaFetcher} and records how they ended, for the
 * run's attachments phase and for a dead-letter retry alike, so that both count and dead-letter a
 * copy the same way.
 */
final class AttachmentCopier {
  private static final long OPEN_BREAKER_WAIT_MS = 2_000;

  /**
   * What a copy does when the media breaker is open: an open breaker says the media service is
   * down, not that this attachment is bad. A run waits for the breaker's half-open probe rather than
   * dead-letter every attachment of a short outage, but only for {@link #PATIENCE_MS} in all, counted
   * from the first copy of the run that met the open breaker and shared by all its copies: after
   * that, every copy that meets the open breaker is dead-lettered at once, so a persistent outage
   * reaches the failure threshold within about that time instead of each copy waiting on its own.
   * A copy that succeeds ends the outage. A dead-letter retry holds its letter's transaction and row
   * locks while it copies, and a failed copy only leaves the letter for the next retry: it uses
   * {@link #FAIL_FAST}.
   */
  static final class Outage {
    static final long PATIENCE_MS = 60_000;
    static final Outage FAIL_FAST = new Outage(0);

    private final long patienceMs;
    private final AtomicLong since = new AtomicLong();

    private Outage(long patienceMs) {
      this.patienceMs = patienceMs;
    }

    /** A run's own outage clock. */
    static Outage patient() {
      return new Outage(PATIENCE_MS);
    }

    boolean stillWaiting() {
      if (patienceMs == 0) return false;
      long now = System.currentTimeMillis();
      since.compareAndSet(0, now);
      return now - since.get() < patienceMs;
    }

    void over() {
      since.set(0);
    }
  }

  private final Vertx vertx;
  private final MediaFetcher fetcher;

  AttachmentCopier(Vertx vertx, MediaFetcher fetcher) {
    this.vertx = vertx;
    this.fetcher = fetcher;
  }

  /** One copy; a failure is a result, not a failed future. */
  Future<Result> copy(Pending p, Outage outage) {
    return fetcher.fetch(p.attachmentId(), p.url())
        .map(f -> {
          outage.over();
          return new Result(p, f.sha256(), f.size(), f.contentType(), null, 1);
        })
        .recover(t -> {
          if (t instanceof MediaFailure mf && mf.kind() == MediaFailure.Kind.CIRCUIT_OPEN && outage.stillWaiting()) {
            Promise<Void> later = Promise.promise();
            vertx.setTimer(OPEN_BREAKER_WAIT_MS, id -> later.complete());
            return later.future().compose(v -> copy(p, outage));
          }
          return Future.succeededFuture(t instanceof MediaFailure mf
              ? new Result(p, null, 0, null, mf.reason(), Math.max(1, mf.attempts()))
              : new Result(p, null, 0, null, "copy failed: " + t, 1));
        });
  }

  private static String letterKey(Pending p) {
    return DeadLetterSink.key(Map.of("threadId", p.threadId(), "messageId", p.messageId(), "attachmentId", p.attachmentId()));
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
      List<String> stored = new ArrayList<>();
      for (Result r : results) {
        if (!counted.contains(r.attachment().attachmentId())) continue;
        if (r.copied()) {
          delta.written("attachment");
          stored.add(letterKey(r.attachment()));
        } else {
          delta.dead("attachment");
          letters.add(new DeadLetter("attachment", letterKey(r.attachment()), r.failure()));
        }
      }
      // a copy that failed in an earlier attempt of the run (see Revival) has an open letter to close
      return DeadLetterSink.upsert(tx, accountId, jobId, letters)
          .compose(v -> DeadLetterSink.resolve(tx, accountId, "attachment", stored));
    });
  }
}
