package dev.helpdesk.migrator.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** Hand-made JWTs, so tests can build the malformed and hostile ones a library would refuse to make. */
public final class TestJwt {
  private TestJwt() {}

  public static String mobile(String secret, String sub, List<String> accounts) {
    return hs256(secret, claims(sub, accounts).put("exp", nowSeconds() + 3600));
  }

  public static JsonObject claims(String sub, List<String> accounts) {
    return new JsonObject().put("sub", sub).put("accounts", new JsonArray(accounts));
  }

  public static String hs256(String secret, JsonObject claims) {
    return signed(new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims, "HmacSHA256", secret);
  }

  public static String signed(JsonObject header, JsonObject claims, String macAlgorithm, String secret) {
    String unsigned = b64(header.encode()) + "." + b64(claims.encode());
    try {
      Mac mac = Mac.getInstance(macAlgorithm);
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), macAlgorithm));
      return unsigned + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
          mac.doFinal(unsigned.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String unsigned(JsonObject claims) {
    return b64(new JsonObject().put("alg", "none").put("typ", "JWT").encode()) + "." + b64(claims.encode()) + ".";
  }

  public static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
