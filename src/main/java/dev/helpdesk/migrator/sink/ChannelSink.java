package dev.helpdesk.migrator.sink;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Brands and channels (CONTRACT §2.2): created or updated, never deleted. One multi-row
 * statement per table; entries are de-duplicated by key first because {@code ON CONFLICT DO
 * UPDATE} refuses a statement that holds the same key twice.
 */
public final class ChannelSink {
  private ChannelSink() {}

  private static final String UPSERT_BRANDS = """
      insert into brands (account_id, brand_id, name, domain, source)
      select $1, b.id, b.name, b.domain, b.source from unnest($2::text[], $3::text[], $4::text[], $5::text[])
        as b(id, name, domain, source)
      on conflict (account_id, brand_id) do update set name = excluded.name, domain = excluded.domain,
        source = excluded.source, updated_at = now()""";

  private static final String UPSERT_CHANNELS = """
      insert into channels (account_id, channel_id, brand_id, type, name, address, source)
      select $1, c.id, c.brand, c.type, c.name, c.address, c.source
      from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
        as c(id, brand, type, name, address, source)
      on conflict (account_id, channel_id) do update set brand_id = excluded.brand_id, type = excluded.type,
        name = excluded.name, address = excluded.address, source = excluded.source, updated_at = now()""";

  /** What was written, and the entries that could not be (no id), for the caller to report. */
  public record Result(int brands, int channels, List<String> skipped) {}

  public static Future<Result> upsert(SqlClient tx, String accountId, JsonArray brands) {
    Map<String, JsonObject> brandById = new LinkedHashMap<>();
    Map<String, JsonObject> channelById = new LinkedHashMap<>();
    Map<String, String> brandOfChannel = new LinkedHashMap<>();
    List<String> skipped = new ArrayList<>();
    for (Object b : brands) {
      if (!(b instanceof JsonObject brand) || !(brand.getValue("brandId") instanceof String brandId) || brandId.isEmpty()) {
        skipped.add("brand without brandId");
        continue;
      }
      brandById.put(brandId, brand);
      Object channels = brand.getValue("channels");
      if (channels == null) continue;
      if (!(channels instanceof JsonArray list)) {
        skipped.add("brand " + brandId + ": channels is not an array");
        continue;
      }
      for (Object c : list) {
        if (!(c instanceof JsonObject channel) || !(channel.getValue("channelId") instanceof String channelId)
            || channelId.isEmpty() || !(channel.getValue("type") instanceof String)) {
          skipped.add("brand " + brandId + ": channel without channelId or type");
          continue;
        }
        channelById.put(channelId, channel);
        brandOfChannel.put(channelId, brandId);
      }
    }
    List<String> bIds = new ArrayList<>(), bNames = new ArrayList<>(), bDomains = new ArrayList<>(), bSources = new ArrayList<>();
    brandById.forEach((id, brand) -> {
      bIds.add(id);
      bNames.add(Text.displayable(brand.getValue("name")));
      bDomains.add(Text.displayable(brand.getValue("domain")));
      JsonObject withoutChannels = brand.copy();
      withoutChannels.remove("channels");
      bSources.add(withoutChannels.encode());
    });
    List<String> cIds = new ArrayList<>(), cBrands = new ArrayList<>(), cTypes = new ArrayList<>(), cNames = new ArrayList<>(),
        cAddresses = new ArrayList<>(), cSources = new ArrayList<>();
    channelById.forEach((id, channel) -> {
      cIds.add(id);
      cBrands.add(brandOfChannel.get(id));
      cTypes.add(Text.displayable(channel.getValue("type")));
      cNames.add(Text.displayable(channel.getValue("name")));
      cAddresses.add(Text.displayable(channel.getValue("address")));
      cSources.add(channel.encode());
    });
    // both sent at once (pipelined on the connection): in a transaction a failed first one fails the second too
    Future<?> brandsWritten = tx.preparedQuery(UPSERT_BRANDS).execute(Tuple.of(accountId, bIds.toArray(String[]::new),
        bNames.toArray(String[]::new), bDomains.toArray(String[]::new), bSources.toArray(String[]::new)));
    Future<?> channelsWritten = tx.preparedQuery(UPSERT_CHANNELS).execute(Tuple.of(accountId, cIds.toArray(String[]::new),
        cBrands.toArray(String[]::new), cTypes.toArray(String[]::new), cNames.toArray(String[]::new),
        cAddresses.toArray(String[]::new), cSources.toArray(String[]::new)));
    return Future.all(brandsWritten, channelsWritten).map(v -> new Result(bIds.size(), cIds.size(), skipped));
  }
}
