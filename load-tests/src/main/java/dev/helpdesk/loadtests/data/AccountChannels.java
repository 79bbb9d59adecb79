package dev.helpdesk.loadtests.data;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The brands and channels of an account (CONTRACT §2.2), a pure function of the account id so the
 * data generator (which assigns threads to channels) and the simulator (which serves them) agree
 * without sharing state.
 */
public record AccountChannels(String accountId, List<Brand> brands) {

  public record Brand(String brandId, String name, String domain, List<Channel> channels) {}

  /** {@code address} may be null; {@code settings} is never null. */
  public record Channel(String channelId, String type, String name, String address, JsonObject settings) {}

  static final List<String> KNOWN_TYPES = List.of("webchat", "sms", "email", "facebook", "instagram", "voice");
  private static final String[] BRAND_NAMES = {"Acme", "Globex", "Initech", "Umbrella Støre", "Café Ünïcode", "شركة النور", "חברת אור", "株式会社サクラ"};

  public static AccountChannels of(String accountId) {
    SplittableRandom rnd = new SplittableRandom(Seeds.of("channels", accountId));
    List<Brand> brands = new ArrayList<>();
    int brandCount = 1 + rnd.nextInt(2);
    int channelNo = 0;
    for (int b = 1; b <= brandCount; b++) {
      String brandName = BRAND_NAMES[rnd.nextInt(BRAND_NAMES.length)];
      String domain = "brand" + b + "-" + accountId.toLowerCase().replaceAll("[^a-z0-9]", "") + ".example";
      List<Channel> channels = new ArrayList<>();
      int count = 1 + rnd.nextInt(3);
      for (int c = 0; c < count; c++) {
        channelNo++;
        // now and then a type §2.2 does not list, which must be kept as it is
        String type = rnd.nextInt(8) == 0 ? "telegram" : KNOWN_TYPES.get(rnd.nextInt(KNOWN_TYPES.size()));
        channels.add(channel(accountId, channelNo, type, domain, rnd));
      }
      brands.add(new Brand("br-" + accountId + "-" + b, brandName, domain, List.copyOf(channels)));
    }
    return new AccountChannels(accountId, List.copyOf(brands));
  }

  public List<Channel> channels() {
    return brands.stream().flatMap(b -> b.channels().stream()).toList();
  }

  /** The body of {@code GET /v1/accounts/{accountId}/channels-to-migrate}. */
  public JsonObject toJson() {
    JsonArray bs = new JsonArray();
    for (Brand b : brands) {
      JsonArray cs = new JsonArray();
      for (Channel c : b.channels()) {
        cs.add(new JsonObject().put("channelId", c.channelId()).put("type", c.type()).put("name", c.name())
            .put("address", c.address()).put("settings", c.settings().copy()));
      }
      bs.add(new JsonObject().put("brandId", b.brandId()).put("name", b.name()).put("domain", b.domain())
          .put("channels", cs));
    }
    return new JsonObject().put("accountId", accountId).put("brands", bs);
  }

  private static Channel channel(String accountId, int no, String type, String domain, SplittableRandom rnd) {
    String id = "ch-" + accountId + "-" + no;
    boolean noAddress = rnd.nextInt(4) == 0;
    String phone = String.format("+1555%07d", rnd.nextInt(10_000_000));
    String address = noAddress ? null : switch (type) {
      case "sms", "voice" -> phone;
      case "email" -> "support@" + domain;
      case "facebook", "instagram" -> "page-" + rnd.nextInt(1_000_000);
      case "webchat" -> "https://" + domain + "/chat";
      default -> "@" + domain.replace('.', '_');
    };
    JsonObject settings = switch (type) {
      case "webchat" -> new JsonObject().put("color", String.format("#%06x", rnd.nextInt(0x1000000)))
          .put("greeting", "Hi 👋 how can we help?").put("position", "bottom-right");
      case "email" -> new JsonObject().put("signature", "— The team").put("autoReply", rnd.nextBoolean());
      case "voice" -> new JsonObject().put("recordCalls", true).put("voicemail", new JsonObject().put("enabled", rnd.nextBoolean()));
      default -> new JsonObject().put("enabled", true);
    };
    String name = switch (type) {
      case "webchat" -> "Site chat";
      case "sms" -> "SMS line";
      case "email" -> "Support inbox";
      case "voice" -> "Hotline ☎";
      default -> type.substring(0, 1).toUpperCase() + type.substring(1) + " page";
    };
    return new Channel(id, type, name + " " + no, address, settings);
  }
}
