package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.db.Database;
import dev.helpdesk.migrator.media.BlobStore;
import dev.helpdesk.migrator.read.Cursor;
import dev.helpdesk.migrator.read.ReadStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.regex.Pattern;

/** The app's reading routes of CONTRACT §3.3: threads, their messages, attachment bytes. */
final class ThreadRoutes {
  private static final Logger log = LoggerFactory.getLogger(ThreadRoutes.class);
  /** A stored type that could break the header or is not a plain media type is served as bytes. */
  private static final Pattern MEDIA_TYPE = Pattern.compile("[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+( *; *[\\x20-\\x7e]*)?");
  private static final String NOT_FOUND_THREAD = "thread not found";
  private static final String NOT_FOUND_ATTACHMENT = "attachment not found";

  private final ReadStore store;
  private final BlobStore blobs;

  ThreadRoutes(Vertx vertx, Settings settings) {
    this.store = new ReadStore(Database.pool(vertx, settings.pg()), settings.pg().queryTimeoutMs());
    this.blobs = new BlobStore(vertx, settings.migration().attachmentsDir());
  }

  /** Also while the account migrates: an empty page before its first thread is written. */
  void threads(RoutingContext ctx) {
    String accountId = Json.validId(ctx.pathParam("accountId"), "accountId");
    Paging paging = Paging.of(ctx, Cursor.THREADS, Long.class, String.class);
    Caller caller = ctx.get(ApiVerticle.CALLER);
    if (!caller.maySee(accountId)) throw ApiError.notFound("account not found");
    store.threads(accountId, paging.after(), paging.limit())
        .recover(ThreadRoutes::unavailable)
        .onSuccess(page -> {
          if (page.isEmpty()) ApiError.notFound("account not found").send(ctx);
          else Json.send(ctx, 200, page.get().toJson());
        })
        .onFailure(ctx::fail);
  }

  void messages(RoutingContext ctx) {
    String threadId = ctx.pathParam("threadId");
    Paging paging = Paging.of(ctx, Cursor.MESSAGES, Long.class, String.class);
    if (!plausibleId(threadId)) throw ApiError.notFound(NOT_FOUND_THREAD);
    store.messages(threadId, tokenAccounts(ctx), paging.after(), paging.limit())
        .recover(ThreadRoutes::unavailable)
        .onSuccess(page -> {
          if (page.isEmpty()) ApiError.notFound(NOT_FOUND_THREAD).send(ctx);
          else Json.send(ctx, 200, page.get().toJson());
        })
        .onFailure(ctx::fail);
  }

  /**
   * Streams the copied bytes from disk. Served as a download that browsers never sniff: the
   * bytes come from outside and their type is only what the media service claimed.
   */
  void attachment(RoutingContext ctx) {
    String attachmentId = ctx.pathParam("attachmentId");
    if (!plausibleId(attachmentId)) throw ApiError.notFound(NOT_FOUND_ATTACHMENT);
    store.copiedAttachment(attachmentId, tokenAccounts(ctx))
        .recover(ThreadRoutes::unavailable)
        .onSuccess(found -> {
          if (found.isEmpty()) {
            ApiError.notFound(NOT_FOUND_ATTACHMENT).send(ctx);
            return;
          }
          ReadStore.Blob blob = found.get();
          HttpServerResponse response = ctx.response();
          String type = blob.contentType() != null && MEDIA_TYPE.matcher(blob.contentType()).matches()
              ? blob.contentType() : "application/octet-stream";
          response.setStatusCode(200)
              .putHeader("Content-Type", type)
              .putHeader("X-Content-Type-Options", "nosniff")
              .putHeader("Content-Disposition", "attachment")
              .putHeader("Cache-Control", "private");
          blobs.sendTo(blob.sha256(), response).onFailure(t -> {
            // a copied row whose file is gone is our fault, but to the app it is simply not there
            log.warn("attachment {} is copied but its blob cannot be read: {}", attachmentId, t.toString());
            response.headers().remove("Content-Disposition").remove("Cache-Control").remove("X-Content-Type-Options");
            ApiError.notFound(NOT_FOUND_ATTACHMENT).send(ctx);
          });
        })
        .onFailure(ctx::fail);
  }

  private static List<String> tokenAccounts(RoutingContext ctx) {
    Caller caller = ctx.get(ApiVerticle.CALLER);
    return List.copyOf(caller.accounts());
  }

  /** Source ids are DynamoDB keys; a longer one cannot exist, so it is not worth a query. */
  private static boolean plausibleId(String id) {
    return id != null && !id.isEmpty() && id.length() <= Cursor.MAX_KEY_CHARS;
  }

  static <T> Future<T> unavailable(Throwable t) {
    if (t instanceof ApiError e) return Future.failedFuture(e);
    return Future.failedFuture(ApiError.unavailable("the database is unavailable, retry shortly"));
  }
}
