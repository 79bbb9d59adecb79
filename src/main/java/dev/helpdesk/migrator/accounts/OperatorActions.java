package dev.helpdesk.migrator.accounts;

import dev.helpdesk.migrator.bus.Bus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The operators' controls of one account's migration (README, Operator controls): pause, resume,
 * cancel, purge. Each is one transaction whose first statement is a conditional UPDATE of the
 * account row, so it races with starts and with the runner's own status moves in PostgreSQL.
 *
 * <p>Stopping a run relies on the pipeline's fences, never on messages to the instance that runs it:
 * the job row loses its lease here (pause: back to {@code queued}; cancel: {@code failed}), so the
 * owner's next write fails its lease fence and commits nothing, and the claim query leaves jobs of
 * accounts that are not running where they are. Releasing the lease at once also means resume does
 * not wait for a lease TTL before another claim can take the job.
 */
public final class OperatorActions {
  private static final Logger log = LoggerFactory.getLogger(OperatorActions.class);

  /** The request cannot be done in the account's current state (purge of a running account). */
  public static final class Conflict extends RuntimeException {
    public Conflict(String message) {
      super(message, null, false, false);
    }
  }

  static final String[] RUNNING = MigrationStatus.RUNNING.stream().map(MigrationStatus::wire).toArray(String[]::new);
  static final String[] LIVE_OR_PAUSED = java.util.stream.Stream.concat(java.util.Arrays.stream(RUNNING), java.util.stream.Stream.of("paused"))
      .toArray(String[]::new);

  private static final String STATUS = "select migration_status, failure_reason from accounts where account_id = $1";

  // SET expressions see the row as it was: paused_from takes the status being left
  private static final String PAUSE = """
      update accounts set paused_from = migration_status, migration_status = 'paused', updated_at = now()
      where account_id = $1 and migration_status = any($2) returning paused_from""";

  private static final String RESUME = """
      update accounts set migration_status = coalesce(paused_from, 'migrating'), paused_from = null, updated_at = now()
      where account_id = $1 and migration_status = 'paused' returning migration_status""";

  private static final String CANCEL = """
      update accounts set migration_status = 'failed', failure_reason = 'cancelled', paused_from = null, updated_at = now()
      where account_id = $1 and migration_status = any($2) returning migration_status""";

  /** The live job loses its lease: a running owner's next fenced write fails and it stops. */
  private static final String RELEASE_JOB = """
      update migration_jobs set state = 'queued', lease_owner = null, lease_until = null, updated_at = now()
      where account_id = $1 and state = 'running'""";

  /**
   * The live job ends as a failed run does (with the revive flag, see migration.Revival), so a later
   * start resumes it from its checkpoint as CONTRACT §3.2 says of a failed account.
   */
  private static final String END_JOB = """
      update migration_jobs set state = 'failed', lease_owner = null, lease_until = null, updated_at = now(),
        checkpoint = coalesce(checkpoint, '{}'::jsonb) || '{"revive": true}'::jsonb
      where account_id = $1 and state in ('queued', 'running')""";

  private static final String LOCK_FOR_PURGE = """
      select migration_status,
        exists (select 1 from migration_jobs j where j.account_id = a.account_id and j.state in ('queued', 'running')) as live_job
      from accounts a where account_id = $1 for update""";

  private static final String[] PURGE_DELETES = {
      // copied files are deleted after the commit, only when no other attachment row names them
      "delete from attachments where account_id = $1 returning blob_sha256",
      "delete from messages where account_id = $1",
      "delete from threads where account_id = $1",
      "delete from channels where account_id = $1",
      "delete from brands where account_id = $1",
      "delete from dead_letters where account_id = $1",
      "delete from migration_jobs where account_id = $1 and state in ('done', 'failed')",
  };
  private static final String[] PURGE_KEYS = {"attachments", "messages", "threads", "channels", "brands", "deadLetters", "jobs"};

  /** Back to a fresh account: Conversations is asked again before the app's next start (CONTRACT §3.2). */
  private static final String RESET = """
      update accounts set migration_status = 'not_started', checked = false, thread_count = null, failure_reason = null,
        progress = null, reconciliation = null, paused_from = null, updated_at = now()
      where account_id = $1""";

  private static final String UNREFERENCED_BLOBS = """
      select s from unnest($1::text[]) s where not exists (select 1 from attachments a where a.blob_sha256 = s)""";

  private final Vertx vertx;
  private final Pool pool;
  private final long queryTimeoutMs;
  private final long purgeTimeoutMs;
  private final Function<String, String> blobPath;

  /**
   * @param blobPath where the copied bytes of a SHA-256 live (media.BlobStore#pathOf)
   */
  public OperatorActions(Vertx vertx, Pool pool, long queryTimeoutMs, Function<String, String> blobPath) {
    this.vertx = vertx;
    this.pool = pool;
    this.queryTimeoutMs = queryTimeoutMs;
    // a whale's purge deletes millions of rows in one transaction: it gets longer than one query
    this.purgeTimeoutMs = Math.max(queryTimeoutMs, 300_000);
    this.blobPath = blobPath;
  }

  /** Running → paused, remembering where it was; its job waits at its checkpoint. */
  public Future<JsonObject> pause(String accountId) {
    return transition(accountId, conn -> conn.preparedQuery(PAUSE).execute(Tuple.of(accountId, (Object) RUNNING))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(false)
            : conn.preparedQuery(RELEASE_JOB).execute(Tuple.of(accountId)).map(true)),
        current -> "paused".equals(current) ? "already_paused" : "not_running");
  }

  /** Paused → the status it had; the runner is woken so the job is claimed now, not at the next sweep. */
  public Future<JsonObject> resume(String accountId) {
    return transition(accountId, conn -> conn.preparedQuery(RESUME).execute(Tuple.of(accountId))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(false)
            // a pause released the lease already; a stale owner that wrote since cannot have (fenced)
            : conn.preparedQuery(RELEASE_JOB).execute(Tuple.of(accountId)).map(true)),
        current -> "not_paused")
        .onSuccess(answer -> {
          if (answer.getBoolean("accepted")) {
            vertx.eventBus().publish(Bus.JOBS_WAKEUP, new JsonObject().put("accountId", accountId));
          }
        });
  }

  /** Running or paused → failed with failureReason {@code cancelled}; the job ends failed. */
  public Future<JsonObject> cancel(String accountId) {
    return transition(accountId, conn -> conn.preparedQuery(CANCEL).execute(Tuple.of(accountId, (Object) LIVE_OR_PAUSED))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(false)
            : conn.preparedQuery(END_JOB).execute(Tuple.of(accountId)).map(true)),
        current -> "failed".equals(current) ? "already_failed" : "not_running");
  }

  /**
   * One conditional transition and what it does to the job, then the answer: {@code accepted} with
   * the new status, or the current status and why nothing changed.
   */
  private Future<JsonObject> transition(String accountId, Function<SqlConnection, Future<Boolean>> change,
                                        Function<String, String> refusal) {
    Future<JsonObject> work = retryingDeadlocks(() -> pool.withTransaction(change::apply), 3)
        .onComplete(ar -> changed(accountId))
        .compose(changed -> current(accountId).map(account -> {
          String status = account.getString("migration_status");
          return new JsonObject().put("accountId", accountId).put("accepted", changed)
              .put("migrationStatus", status).put("failureReason", account.getString("failure_reason"))
              .put("reason", changed ? null : refusal.apply(status));
        }));
    return bounded(work, queryTimeoutMs * 2);
  }

  private void changed(String accountId) {
    vertx.eventBus().publish(Bus.ACCOUNT_CHANGED, new JsonObject().put("accountId", accountId));
  }

  private Future<Row> current(String accountId) {
    return pool.preparedQuery(STATUS).execute(Tuple.of(accountId)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(Bus.notFound("account not found"))
        : Future.succeededFuture(rows.iterator().next()));
  }

  /**
   * Deletes what was migrated for the account (brands, channels, threads, messages, attachment rows
   * and their copied files, dead letters, ended jobs, progress) and leaves it {@code not_started}.
   * Refused ({@link Conflict}) while a run is running, paused or queued: its writes would bring rows
   * back behind the purge.
   */
  public Future<JsonObject> purge(String accountId) {
    JsonObject deleted = new JsonObject();
    Set<String> blobs = new LinkedHashSet<>();
    Future<Void> tx = retryingDeadlocks(() -> pool.withTransaction(conn -> conn.preparedQuery(LOCK_FOR_PURGE)
        .execute(Tuple.of(accountId)).compose(rows -> {
          if (rows.size() == 0) return Future.failedFuture(Bus.notFound("account not found"));
          Row row = rows.iterator().next();
          String status = row.getString("migration_status");
          if (List.of(LIVE_OR_PAUSED).contains(status) || row.getBoolean("live_job")) {
            return Future.failedFuture(new Conflict("account " + accountId + " is " + status
                + " with a live run; cancel it first (POST /v1/accounts/{accountId}/migration/cancel)"));
          }
          deleted.clear();
          blobs.clear();
          Future<Void> chain = Future.succeededFuture();
          for (int i = 0; i < PURGE_DELETES.length; i++) {
            String sql = PURGE_DELETES[i];
            String key = PURGE_KEYS[i];
            chain = chain.compose(v -> conn.preparedQuery(sql).execute(Tuple.of(accountId)).map(r -> {
              deleted.put(key, r.rowCount());
              if (key.equals("attachments")) collectBlobs(r, blobs);
              return null;
            }));
          }
          return chain.compose(v -> conn.preparedQuery(RESET).execute(Tuple.of(accountId))).mapEmpty();
        })), 3);
    Future<JsonObject> work = tx.onComplete(ar -> changed(accountId)).compose(v -> deleteUnreferenced(new ArrayList<>(blobs)))
        .map(files -> new JsonObject().put("accountId", accountId).put("purged", true)
            .put("migrationStatus", MigrationStatus.NOT_STARTED.wire())
            .put("deleted", deleted.put("files", files)));
    return bounded(work, purgeTimeoutMs);
  }

  private static void collectBlobs(RowSet<Row> rows, Set<String> into) {
    for (Row r : rows) {
      String sha = r.getString("blob_sha256");
      if (sha != null) into.add(sha);
    }
  }

  /**
   * The purged account's files that no remaining attachment row names (identical bytes of another
   * account share one file). The check and the delete are not atomic with another run's copy: a copy
   * of the very same bytes published just before the check and recorded just after it would point at
   * a deleted file (README, Operator controls).
   */
  private Future<Integer> deleteUnreferenced(List<String> shas) {
    if (shas.isEmpty()) return Future.succeededFuture(0);
    return pool.preparedQuery(UNREFERENCED_BLOBS).execute(Tuple.of(shas.toArray(String[]::new))).compose(rows -> {
      List<Future<Boolean>> deletions = new ArrayList<>();
      for (Row r : rows) {
        String path;
        try {
          path = blobPath.apply(r.getString(0));
        } catch (IllegalArgumentException notADigest) {
          continue;
        }
        deletions.add(vertx.fileSystem().delete(path).map(true).otherwise(t -> {
          // already gone (a purge on another instance, or never written) is what we want
          if (!(t instanceof java.nio.file.NoSuchFileException) && !(t.getCause() instanceof java.nio.file.NoSuchFileException)) {
            log.warn("purge: could not delete attachment file {}: {}", path, t.toString());
          }
          return false;
        }));
      }
      return Future.join(deletions).map(all -> (int) all.list().stream().filter(Boolean.TRUE::equals).count());
    });
  }

  /**
   * The runner's batch commits lock the job row then the account row, its phase hand-overs the
   * account then the job: whatever order a control takes, PostgreSQL may pick it as a deadlock's
   * victim. The transaction is then rolled back whole and simply run again.
   */
  private static <T> Future<T> retryingDeadlocks(java.util.function.Supplier<Future<T>> work, int attempts) {
    return work.get().recover(t -> {
      if (attempts > 1 && t instanceof PgException pg && "40P01".equals(pg.getSqlState())) {
        return retryingDeadlocks(work, attempts - 1);
      }
      return Future.failedFuture(t);
    });
  }

  private <T> Future<T> bounded(Future<T> work, long timeoutMs) {
    return work.timeout(timeoutMs, TimeUnit.MILLISECONDS).recover(t -> {
      if (t instanceof Bus.ServiceException || t instanceof Conflict) return Future.failedFuture(t);
      log.warn("operator action failed: {}", t.toString());
      return Future.failedFuture(Bus.unavailable("database unavailable"));
    });
  }
}
