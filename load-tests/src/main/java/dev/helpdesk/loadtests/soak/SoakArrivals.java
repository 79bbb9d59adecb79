package dev.helpdesk.loadtests.soak;

import dev.helpdesk.loadtests.data.DataGenerator;
import dev.helpdesk.loadtests.data.Profile;
import dev.helpdesk.loadtests.data.SeedSummary;
import dev.helpdesk.loadtests.data.SourceTables;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static dev.helpdesk.loadtests.soak.SoakClock.sleepQuietly;

/**
 * The accounts that keep arriving during a soak: each is seeded, created and started through a
 * serving instance, and remembered with its seed summary for the checks at the end. A start that
 * no instance took (all killed or paused) is retried until one does.
 */
final class SoakArrivals {
  private final long seed;
  private final SoakClock clock;
  private final SoakStack stack;
  private final Map<String, SeedSummary.AccountSummary> seeded = new ConcurrentHashMap<>();
  private final List<String> accountIds = new ArrayList<>();
  private final Set<String> notStarted = ConcurrentHashMap.newKeySet();

  SoakArrivals(long seed, SoakClock clock, SoakStack stack) {
    this.seed = seed;
    this.clock = clock;
    this.stack = stack;
  }

  /** Every account seeded so far, in arrival order; read it once the arrivals have stopped. */
  List<String> accountIds() {
    return accountIds;
  }

  SeedSummary.AccountSummary seeded(String id) {
    return seeded.get(id);
  }

  boolean allStarted() {
    return notStarted.isEmpty();
  }

  void startPending() {
    for (String id : List.copyOf(notStarted)) startMigration(id);
  }

  /** One account every few seconds, rotating profiles; each is seeded, created and started. */
  void arrive(long endAt) {
    Profile[] profiles = {
        Profile.TYPICAL.withThreads(20, 50).withAttachmentRatio(0.1).withMaxAttachmentBytes(16 * 1024),
        Profile.DIRTY.withMaxAttachmentBytes(16 * 1024),
        Profile.SAMPLE.withThreads(5, 20).withMaxAttachmentBytes(16 * 1024)};
    Random r = new Random(seed * 31 + 7);
    int n = 0;
    while (System.currentTimeMillis() < endAt - 20_000) {
      Profile p = profiles[n % profiles.length];
      String id = "soak" + seed + "-" + p.name().toLowerCase() + "-" + n;
      try {
        SeedSummary s = DataGenerator.seed(stack.dynalite().client(), SourceTables.defaults(), p, seed * 1000 + n, List.of(id),
            stack.sim().mediaBaseUrl(), System.currentTimeMillis()).get(120, TimeUnit.SECONDS);
        seeded.put(id, s.account(id));
        synchronized (accountIds) {
          accountIds.add(id);
        }
        notStarted.add(id);
        startMigration(id);
      } catch (Exception e) {
        clock.note("seeding " + id + " failed: " + e);
      }
      n++;
      startPending();
      sleepQuietly(6000 + r.nextInt(6000));
    }
  }

  /** Creates and starts the account through any serving instance; app-style (mobile JWT) for every third one. */
  private void startMigration(String id) {
    List<SoakInstance> serving = stack.instances().stream().filter(SoakInstance::serving).toList();
    if (serving.isEmpty()) return;
    SoakInstance in = serving.get(Math.floorMod(id.hashCode() + (int) (System.nanoTime() % 7), serving.size()));
    int created = in.status("POST", "/v1/accounts", Soak.CALLER, new JsonObject().put("accountId", id).put("name", id).encode());
    if (created != 201 && created != 200) return;
    int started = id.hashCode() % 3 == 0
        ? in.status("POST", "/v1/accounts/" + id + "/start-migration", jwt(id), "")
        : in.status("POST", "/v1/migrate", Soak.CALLER, new JsonObject().put("accountId", id).encode());
    // 202 accepted; 200 means it already runs or finished (a retried start after an unseen answer)
    if (started == 202 || started == 200) notStarted.remove(id);
  }

  private static String jwt(String accountId) {
    String header = b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode());
    String claims = b64(new JsonObject().put("sub", "soak-user-" + accountId).put("accounts", new JsonArray().add(accountId))
        .put("exp", System.currentTimeMillis() / 1000 + 3600).encode());
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Soak.JWT_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      String unsigned = header + "." + claims;
      return unsigned + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(unsigned.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
