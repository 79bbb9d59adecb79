package dev.helpdesk.migrator.api;

import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns an {@code Authorization} header into a {@link Caller}. JWT signatures are checked by
 * vertx-auth-jwt; what it tolerates (no {@code exp}, unsigned tokens, other algorithms, a
 * future {@code nbf}) is refused here before or after it. Static tokens are compared in
 * constant time over their digests, so neither content nor length leaks through timing.
 */
public final class Authenticator {
  /** Verified mobile tokens kept; the least recently used one goes first. */
  private static final int VERIFIED_KEPT = 10_000;

  private final List<JWTAuth> jwtKeys = new ArrayList<>();
  /**
   * An app polls its status with the same token every few hundred ms, and checking its signature (HMAC
   * and two JSON parses) cost more than the rest of a status answer: a signature is checked once per
   * token, its time window on every use. The key is the whole token, signature included, so only a
   * token that was verified can hit. Used on its verticle's event loop only.
   */
  private final Map<String, Verified> verifiedTokens = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
      return size() > VERIFIED_KEPT;
    }
  };
  private final List<byte[]> conversationsDigests;
  private final List<byte[]> adminDigests;

  public Authenticator(Vertx vertx, Settings.Auth auth) {
    jwtKeys.add(jwt(vertx, auth.jwtSecret()));
    if (auth.jwtPreviousSecret() != null) jwtKeys.add(jwt(vertx, auth.jwtPreviousSecret()));
    conversationsDigests = auth.conversationsCallerTokens().stream().map(Authenticator::digest).toList();
    adminDigests = auth.adminTokens().stream().map(Authenticator::digest).toList();
  }

  private static JWTAuth jwt(Vertx vertx, String secret) {
    return JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(new JWTOptions().setLeeway(0)));
  }

  public Future<Caller> authenticate(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture(ApiError.unauthorized("a bearer credential is required"));
    }
    String token = authorization.substring(7).trim();
    if (token.isEmpty() || token.length() > 4096) return Future.failedFuture(ApiError.unauthorized("invalid credential"));
    byte[] digest = digest(token);
    // Every static token is compared, whichever matches, so timing does not tell which list it is in.
    boolean conversations = matchesAny(conversationsDigests, digest);
    boolean admin = matchesAny(adminDigests, digest);
    if (conversations) return Future.succeededFuture(new Caller(Caller.Kind.CONVERSATIONS, "conversations", Set.of()));
    if (admin) return Future.succeededFuture(new Caller(Caller.Kind.OPERATOR, "operator", Set.of()));
    Verified known = verifiedTokens.get(token);
    if (known != null) {
      Future<Caller> still = known.inWindow(System.currentTimeMillis() / 1000);
      if (still.failed()) verifiedTokens.remove(token);
      return still;
    }
    if (token.chars().filter(c -> c == '.').count() != 2) return Future.failedFuture(ApiError.unauthorized("invalid credential"));
    if (!hs256Header(token)) return Future.failedFuture(ApiError.unauthorized("invalid token"));
    return verify(token, 0);
  }

  private Future<Caller> verify(String token, int keyIndex) {
    Future<io.vertx.ext.auth.User> verified;
    try {
      verified = jwtKeys.get(keyIndex).authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      // the library throws, rather than fails, on some malformed claims (a non-numeric exp)
      verified = Future.failedFuture(e);
    }
    return verified
        .transform(ar -> {
          // The signature is verified; the principal drops exp/nbf, so the checks read the payload itself.
          if (ar.succeeded()) {
            Future<Verified> claims = mobileClaims(payload(token));
            if (claims.failed()) return Future.failedFuture(claims.cause());
            Future<Caller> caller = claims.result().inWindow(System.currentTimeMillis() / 1000);
            if (caller.succeeded()) verifiedTokens.put(token, claims.result());
            return caller;
          }
          if (keyIndex + 1 < jwtKeys.size()) return verify(token, keyIndex + 1);
          return Future.failedFuture(ApiError.unauthorized("invalid token"));
        });
  }

  /** A verified token's caller and the time window it is valid in (epoch seconds; nbf NaN when absent). */
  private record Verified(Caller caller, double exp, double nbf) {
    Future<Caller> inWindow(long now) {
      if (exp <= now) return Future.failedFuture(ApiError.unauthorized("token expired or without exp"));
      if (nbf > now) return Future.failedFuture(ApiError.unauthorized("token not valid yet"));
      return Future.succeededFuture(caller);
    }
  }

  private static Future<Verified> mobileClaims(JsonObject claims) {
    if (!(claims.getValue("exp") instanceof Number exp)) {
      return Future.failedFuture(ApiError.unauthorized("token expired or without exp"));
    }
    Object nbf = claims.getValue("nbf");
    if (nbf != null && !(nbf instanceof Number)) return Future.failedFuture(ApiError.unauthorized("token not valid yet"));
    if (!(claims.getValue("sub") instanceof String sub) || sub.isEmpty()
        || !(claims.getValue("accounts") instanceof JsonArray accounts)) {
      return Future.failedFuture(ApiError.unauthorized("token without sub or accounts"));
    }
    Set<String> ids = new HashSet<>();
    for (Object a : accounts) {
      if (!(a instanceof String s)) return Future.failedFuture(ApiError.unauthorized("accounts must be strings"));
      ids.add(s);
    }
    return Future.succeededFuture(new Verified(new Caller(Caller.Kind.MOBILE, sub, Set.copyOf(ids)), exp.doubleValue(),
        nbf == null ? Double.NaN : ((Number) nbf).doubleValue()));
  }

  private static JsonObject payload(String token) {
    int from = token.indexOf('.') + 1;
    String json = new String(Base64.getUrlDecoder().decode(token.substring(from, token.indexOf('.', from))), StandardCharsets.UTF_8);
    return new JsonObject(json);
  }

  /** Only HS256 is ours: "none" and every other algorithm are refused before any verification. */
  private static boolean hs256Header(String token) {
    try {
      String header = new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))), StandardCharsets.UTF_8);
      return "HS256".equals(new JsonObject(header).getValue("alg"));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static boolean matchesAny(List<byte[]> digests, byte[] candidate) {
    boolean match = false;
    for (byte[] d : digests) match |= MessageDigest.isEqual(d, candidate);
    return match;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
