package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.config.Settings;
import dev.helpdesk.migrator.support.Http.Response;
import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.helpdesk.migrator.support.TestService.ADMIN;
import static dev.helpdesk.migrator.support.TestService.CONVERSATIONS_CALLER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * openapi.yaml against the router: every route ApiVerticle registers is an operation of the file
 * with the same method and path, and every operation of the file is a route; the file is served
 * at /openapi.yaml and the requests it refuses are the contract's 400 after 401 and 413.
 */
@ExtendWith(VertxExtension.class)
class OpenApiTest {
  static TestService svc;

  @BeforeAll
  static void start(Vertx vertx) {
    svc = TestService.prepare(vertx).start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void everyRouteOfTheRouterIsInTheFileAndEveryOperationOfTheFileIsARoute(Vertx vertx) throws Exception {
    ApiVerticle api = new ApiVerticle(Settings.from(svc.config.copy().put("HTTP_PORT", 0)));
    String id = TestService.await(vertx.deployVerticle(api));
    try {
      Set<String> routes = new TreeSet<>();
      for (Route r : api.router().getRoutes()) {
        if (r.getPath() == null) continue; // the credential, body and failure handlers of every request
        assertNotNull(r.methods(), "a route without a method: " + r.getPath());
        for (HttpMethod m : r.methods()) routes.add(m.name() + " " + ApiContract.openApiPath(r.getPath()));
      }
      Set<String> operations = new TreeSet<>();
      JsonObject paths = ApiContract.toJson(ApiContract.read()).getJsonObject("paths");
      for (String path : paths.fieldNames()) {
        for (String key : paths.getJsonObject(path).fieldNames()) {
          if (Set.of("get", "put", "post", "delete", "patch", "head", "options").contains(key)) {
            operations.add(key.toUpperCase() + " " + path);
          }
        }
      }
      Set<String> notInFile = new TreeSet<>(routes);
      notInFile.removeAll(operations);
      Set<String> notRoutes = new TreeSet<>(operations);
      notRoutes.removeAll(routes);
      assertTrue(notInFile.isEmpty(), "routes missing from openapi.yaml: " + notInFile);
      assertTrue(notRoutes.isEmpty(), "operations of openapi.yaml without a route: " + notRoutes);
      assertTrue(routes.size() >= 14, routes.toString());
    } finally {
      TestService.await(vertx.undeploy(id));
    }
  }

  @Test
  void onlyOperationsWithNothingToCheckSkipTheValidator(Vertx vertx) {
    ApiContract contract = TestService.await(ApiContract.load(vertx));
    assertTrue(ApiContract.nothingToValidate(contract.operation(HttpMethod.GET, "/v1/accounts/:accountId")));
    assertTrue(ApiContract.nothingToValidate(contract.operation(HttpMethod.GET, "/v1/accounts")));
    assertFalse(ApiContract.nothingToValidate(contract.operation(HttpMethod.GET, "/v1/accounts/:accountId/threads")));
    assertFalse(ApiContract.nothingToValidate(contract.operation(HttpMethod.POST, "/v1/migrate")));
    assertFalse(ApiContract.nothingToValidate(contract.operation(HttpMethod.POST, "/v1/accounts")));
    assertThrows(IllegalStateException.class, () -> contract.operation(HttpMethod.DELETE, "/v1/accounts/:accountId"));
  }

  @Test
  void theFileIsServedWithoutACredential() throws Exception {
    Response r = svc.http.get("/openapi.yaml", null);
    assertEquals(200, r.status());
    assertTrue(r.headers().get("content-type").get(0).startsWith("text/plain"), r.headers().toString());
    assertEquals(ApiContract.read(), r.body());
    assertEquals("3.1.0", ApiContract.toJson(r.body()).getString("openapi"));
  }

  @Test
  void requestsTheFileRefusesAreBadRequestsInTheContractShape() {
    svc.createAccount("oa-a");
    // wrong type of a body field
    Response r = svc.http.post("/v1/accounts", CONVERSATIONS_CALLER, new JsonObject().put("accountId", 7).put("name", "x"));
    assertEquals(400, r.status(), r.body());
    assertEquals("bad_request", r.error());
    assertNotNull(r.json().getString("message"));
    r = svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", "oa-a").put("force", "yes"));
    assertEquals(400, r.status(), r.body());
    assertEquals("bad_request", r.error());
    // a missing field, a query parameter out of range
    assertEquals("bad_request", svc.http.post("/v1/accounts", ADMIN, new JsonObject().put("accountId", "oa-b")).error());
    assertEquals("bad_request", svc.http.get("/v1/accounts/oa-a/dead-letters?limit=0", ADMIN).error());
    assertEquals("bad_request", svc.http.get("/v1/accounts/oa-a/dead-letters?limit=x", ADMIN).error());
    // what the file accepts passes: null force, a charset on the content type
    r = svc.http.send("POST", "/v1/accounts", ADMIN, new JsonObject().put("accountId", "oa-c").put("name", "C").encode(),
        Map.of("Content-Type", "application/json; charset=utf-8"));
    assertEquals(201, r.status(), r.body());
    r = svc.http.post("/v1/migrate", CONVERSATIONS_CALLER, new JsonObject().put("accountId", "oa-c").putNull("force"));
    assertEquals(202, r.status(), r.body());
    assertEquals(200, svc.http.get("/v1/accounts/oa-a/dead-letters?limit=200", ADMIN).status());
    // precedence: 401 before 400, 413 before 400
    assertEquals("unauthorized", svc.http.post("/v1/accounts", null, new JsonObject().put("accountId", 7)).error());
    r = svc.http.post("/v1/accounts", ADMIN, new JsonObject().put("accountId", 7).put("name", "n".repeat(20_000)));
    assertEquals(413, r.status(), r.body());
    assertEquals("payload_too_large", r.error());
  }
}
