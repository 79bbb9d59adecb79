package dev.helpdesk.migrator.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.RequestValidator;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code openapi.yaml} (a class-path resource, served at {@code GET /openapi.yaml}) as the API's
 * request validator (vertx-openapi). The routes stay the hand-built router's, so the credential,
 * size and rate checks keep CONTRACT §3's precedence; validation runs last, before the handler,
 * and a mismatch is the contract's 400 {@code bad_request}.
 */
final class ApiContract {
  private static final Logger log = LoggerFactory.getLogger(ApiContract.class);
  static final String RESOURCE = "openapi.yaml";

  private final String text;
  private final OpenAPIContract contract;
  private final RequestValidator validator;

  private ApiContract(Vertx vertx, String text, OpenAPIContract contract) {
    this.text = text;
    this.contract = contract;
    this.validator = RequestValidator.create(vertx, contract);
  }

  /** Reads and parses the file off the event loop (the file system's class-path lookup is disabled). */
  static Future<ApiContract> load(Vertx vertx) {
    return vertx.executeBlocking(ApiContract::read, false)
        .compose(text -> OpenAPIContract.from(vertx, toJson(text)).map(c -> new ApiContract(vertx, text, c)));
  }

  static String read() throws IOException {
    try (InputStream in = ApiContract.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IOException(RESOURCE + " is not on the class path");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static JsonObject toJson(String yaml) {
    Object tree = new Yaml().load(yaml);
    return new JsonObject(io.vertx.core.json.Json.encode(tree));
  }

  String text() {
    return text;
  }

  /** {@code /v1/accounts/:accountId} → {@code /v1/accounts/{accountId}}. */
  static String openApiPath(String vertxPath) {
    return vertxPath.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
  }

  Operation operation(HttpMethod method, String vertxPath) {
    String path = openApiPath(vertxPath);
    return contract.operations().stream()
        .filter(o -> o.getOpenAPIPath().equals(path) && o.getHttpMethod().equals(method))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(method + " " + path + " is not in " + RESOURCE));
  }

  /**
   * The handler behind a validation of the request against its operation. A request the file
   * refuses is a 400 with the validator's reason; should the validator itself fail on something
   * it cannot judge, the handler's own checks (which answer the same codes) decide.
   */
  Handler<RoutingContext> validating(HttpMethod method, String vertxPath, Handler<RoutingContext> handler) {
    Operation op = operation(method, vertxPath);
    if (nothingToValidate(op)) return ctx -> handle(handler, ctx);
    return ctx -> {
      Future<ValidatableRequest> request;
      try {
        Buffer body = ctx.body() == null ? null : ctx.body().buffer();
        request = RequestUtils.extract(ctx.request(), op, () -> Future.succeededFuture(body));
      } catch (RuntimeException e) {
        request = Future.failedFuture(e);
      }
      request.compose(r -> validator.validate(r, op.getOperationId())).onComplete(ar -> {
        if (ar.succeeded()) {
          handle(handler, ctx);
        } else if (ar.cause() instanceof ValidatorException e) {
          ApiError.badRequest(e.getMessage() == null ? "the request does not match the API" : e.getMessage()).send(ctx);
        } else {
          log.debug("request validation of {} could not run ({}); the handler checks it", op.getOperationId(),
              ar.cause().getClass().getSimpleName());
          handle(handler, ctx);
        }
      });
    };
  }

  /**
   * An operation whose only parameters are unconstrained path strings, without a body, accepts every
   * request that reached its route: the validator (which runs on a worker thread, ordered per
   * context) is skipped, which keeps the hop off the hot status route. Any constraint added to the
   * file makes the operation validated again.
   */
  static boolean nothingToValidate(Operation op) {
    if (op.getRequestBody() != null) return false;
    JsonObject plainString = new JsonObject().put("type", "string");
    for (Parameter p : op.getParameters()) {
      if (p.getIn() != Location.PATH) return false;
      JsonObject schema = p.getOpenAPIModel().getJsonObject("schema");
      if (schema == null) return false;
      JsonObject declared = new JsonObject();
      schema.forEach(e -> {
        if (!e.getKey().startsWith("__")) declared.put(e.getKey(), e.getValue());
      });
      if (!plainString.equals(declared)) return false;
    }
    return true;
  }

  /**
   * Handlers throw their ApiErrors (a bad id, a missing account); the router turns what a handler
   * throws into ctx.fail, but this one runs in a Future's callback, where a throw would be lost.
   */
  private static void handle(Handler<RoutingContext> handler, RoutingContext ctx) {
    try {
      handler.handle(ctx);
    } catch (RuntimeException e) {
      ctx.fail(e);
    }
  }
}
