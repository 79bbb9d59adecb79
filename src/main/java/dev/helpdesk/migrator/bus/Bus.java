package dev.helpdesk.migrator.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * Every event-bus address of the service and the shape of what travels on it. Requests and
 * replies are JSON objects; a failed request carries a {@link Failure} as its failure code.
 */
public final class Bus {
  private Bus() {}

  // --- accounts store (accounts.AccountStoreVerticle) -----------------------------------
  /** {accountId, name} → {created: boolean, account: Account}. */
  public static final String ACCOUNT_UPSERT = "accounts.upsert";
  /** {accountId} → Account, or NOT_FOUND. */
  public static final String ACCOUNT_GET = "accounts.get";
  /** {accountIds: [..]} → {items: [Account]} (only those that exist, in the given order). */
  public static final String ACCOUNTS_GET_MANY = "accounts.get-many";
  /** {accountId, exists: boolean, threadCount: int?} → Account: what Conversations said of the account. */
  public static final String ACCOUNT_CHECKED = "accounts.checked";
  /** {accountId, origin: "mobile"|"conversations", force: boolean} → StartAnswer, or NOT_FOUND. */
  public static final String MIGRATION_START = "accounts.start-migration";
  /**
   * published, local {accountId}: this instance changed the account and is about to answer for it; the
   * store's cache forgets it now rather than when PostgreSQL's notification comes back (read your writes).
   */
  public static final String ACCOUNT_CHANGED = "accounts.changed";

  // --- Conversations client (conversations.ConversationsVerticle) -----------------------
  /** {accountId, budgetMs: long?} → {exists: boolean, threadCount: int?}, or UNAVAILABLE. */
  public static final String CONVERSATIONS_CHECK = "conversations.check";
  /** {accountId} → {brands: [...]} as CONTRACT §2.2, NOT_FOUND, or UNAVAILABLE. */
  public static final String CONVERSATIONS_CHANNELS = "conversations.channels";
  /** {} → {breaker: "CLOSED"|"OPEN"|"HALF_OPEN"}. */
  public static final String CONVERSATIONS_STATE = "conversations.state";
  /** local {rounds} → {} once done: the client's calls against a loopback stand-in (api.WarmUp); never fails. */
  public static final String CONVERSATIONS_WARM_UP = "conversations.warm-up";

  // --- job runner (migration.JobRunnerVerticle) -----------------------------------------
  /** published {accountId}: a job was queued, claim now rather than at the next sweep. */
  public static final String JOBS_WAKEUP = "jobs.wakeup";
  /**
   * sent, local {token, hold: boolean}: a start request began (true) or was answered (false). While one
   * is in progress, up to MIGRATION_INBOX_HOLD_MS, this instance's migrations read nothing from
   * DynamoDB, so the CPU goes to the customer who waits for an inbox.
   */
  public static final String JOBS_READS_HOLD = "jobs.reads-hold";
  /** {} → {dynamodb: "UP"|"DOWN", dynamodbError: String?, media: breaker state, jobsHeld: int}, for the health routes. */
  public static final String JOBS_HEALTH = "jobs.health";
  /** local {rounds} → {} once done: the channels phase's writes, rolled back (api.WarmUp); never fails. */
  public static final String JOBS_WARM_UP = "jobs.warm-up";

  // --- dead letters (consumed by the migration pipeline) --------------------------------
  /**
   * {accountId} → {queued: int}: the account's unresolved dead letters are retried in place, the
   * account's status staying {@code completed}. Asked by the operators' retry route; consumed by
   * migration.DeadLetterRetry (registered by the job runner), which answers at once and works in
   * the background. Without a consumer the route answers 503.
   */
  public static final String DEAD_LETTERS_RETRY = "dead-letters.retry";

  /** Failure codes, chosen to be the HTTP status the API answers with. */
  public enum Failure {
    BAD_REQUEST(400, "bad_request"),
    NOT_FOUND(404, "not_found"),
    UNAVAILABLE(503, "unavailable"),
    INTERNAL(500, "internal");

    public final int status;
    public final String code;

    Failure(int status, String code) {
      this.status = status;
      this.code = code;
    }

    public static Failure of(Throwable t) {
      if (t instanceof ReplyException re) {
        for (Failure f : values()) if (f.status == re.failureCode()) return f;
        // no handler, or the reply timed out: the component behind the address is not answering
        return UNAVAILABLE;
      }
      return INTERNAL;
    }
  }

  public static Future<JsonObject> request(Vertx vertx, String address, JsonObject body, long timeoutMs) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(Message::body);
  }

  /** Replies with the outcome of {@code work}: its value, or its failure mapped to a {@link Failure}. */
  public static void reply(Message<JsonObject> message, Future<JsonObject> work) {
    work.onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(ar.result());
      } else if (ar.cause() instanceof ServiceException se) {
        message.fail(se.failure.status, se.getMessage());
      } else {
        message.fail(Failure.INTERNAL.status, "internal error");
      }
    });
  }

  /** A failure meant to cross the bus: its message is safe to show to a caller. */
  public static final class ServiceException extends RuntimeException {
    public final Failure failure;

    public ServiceException(Failure failure, String message) {
      super(message, null, false, false);
      this.failure = failure;
    }
  }

  public static ServiceException notFound(String message) {
    return new ServiceException(Failure.NOT_FOUND, message);
  }

  public static ServiceException unavailable(String message) {
    return new ServiceException(Failure.UNAVAILABLE, message);
  }
}
