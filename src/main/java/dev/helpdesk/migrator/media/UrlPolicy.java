package dev.helpdesk.migrator.media;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether an attachment URL may be fetched (CONTRACT §2.3). The allow-list is the trust
 * anchor: an entry "host" allows that host on its scheme's default port, "host:port" that port only.
 * Special IP literals (loopback, private, link-local...) need an exact "host:port" entry, so a bare
 * "127.0.0.1" entry cannot open every local port. No DNS lookups: only literals are inspected.
 */
public final class UrlPolicy {
  public static final int MAX_URL_LENGTH = 2048;

  private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  // Forms like "127.1", "2130706433" or "0x7f.0.0.1" are read as IPv4 by inet_aton; refuse them
  // outright rather than guess which address the resolver would pick.
  private static final Pattern NUMERIC_HOST = Pattern.compile("(0x[0-9a-f]+|[0-9]+)(\\.(0x[0-9a-f]+|[0-9]+))*\\.?");

  /** Where an allowed URL points; {@code requestUri} is the raw path and query, never empty. */
  public record Target(URI uri, boolean tls, String host, int port, String requestUri) {}

  /** Either a target or the reason the URL was refused (for the dead letter). */
  public record Verdict(Target target, String refusal) {
    public boolean allowed() {
      return target != null;
    }
  }

  private final Set<String> allowedHosts;

  public UrlPolicy(Set<String> allowedHosts) {
    this.allowedHosts = Set.copyOf(allowedHosts);
  }

  public Verdict check(String url) {
    if (url == null || url.isBlank()) return refuse("attachment url is missing");
    if (url.length() > MAX_URL_LENGTH) return refuse("attachment url is longer than " + MAX_URL_LENGTH + " characters");
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return refuse("attachment url is malformed");
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!uri.isAbsolute() || uri.isOpaque()) return refuse("attachment url is not an absolute http(s) url");
    if (!"http".equals(scheme) && !"https".equals(scheme)) return refuse("attachment url scheme " + scheme + " is not allowed");
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isEmpty()) return refuse("attachment url has no host");
    if (authority.contains("@") || uri.getRawUserInfo() != null) return refuse("attachment url carries user info");
    // A null host with an authority means java.net.URI fell back to a registry-based authority
    // (e.g. underscores or a bad port): an HTTP client might still parse it differently.
    if (uri.getHost() == null) return refuse("attachment url has a malformed host");
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (host.contains("%")) return refuse("attachment url has an IPv6 zone id");
    boolean tls = "https".equals(scheme);
    int defaultPort = tls ? 443 : 80;
    int port = uri.getPort() == -1 ? defaultPort : uri.getPort();
    if (port < 1 || port > 65535) return refuse("attachment url has an invalid port");

    boolean exactEntry = allowedHosts.contains(host + ":" + port);
    boolean hostEntry = port == defaultPort && allowedHosts.contains(host);
    if (!exactEntry && !hostEntry) return refuse("attachment host " + host + ":" + port + " is not in MEDIA_ALLOWED_HOSTS");

    InetAddress literal;
    try {
      literal = ipLiteral(host);
    } catch (UnknownHostException e) {
      return refuse("attachment url has a malformed IP address");
    }
    if (literal == null && NUMERIC_HOST.matcher(host).matches()) return refuse("attachment url has an ambiguous numeric host");
    if (literal != null && isSpecial(literal) && !exactEntry) {
      return refuse("attachment url points at a loopback, private or link-local address without an exact host:port entry");
    }

    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String requestUri = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    String connectHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    return new Verdict(new Target(uri, tls, connectHost, port, requestUri), null);
  }

  private static Verdict refuse(String reason) {
    return new Verdict(null, reason);
  }

  /** The address when {@code host} is an IP literal, else null. Never resolves a name. */
  private static InetAddress ipLiteral(String host) throws UnknownHostException {
    if (host.startsWith("[") && host.endsWith("]")) {
      // getByName treats anything containing ':' as an IPv6 literal and never queries DNS for it.
      return InetAddress.getByName(host.substring(1, host.length() - 1));
    }
    if (DOTTED_QUAD.matcher(host).matches()) {
      byte[] bytes = new byte[4];
      String[] parts = host.split("\\.");
      for (int i = 0; i < 4; i++) {
        int v = Integer.parseInt(parts[i]);
        if (v > 255 || (parts[i].length() > 1 && parts[i].startsWith("0"))) throw new UnknownHostException(host);
        bytes[i] = (byte) v;
      }
      return InetAddress.getByAddress(bytes);
    }
    return null;
  }

  static boolean isSpecial(InetAddress a) {
    if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
        || a.isMulticastAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (b.length == 4) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return first == 0 || (first == 100 && second >= 64 && second < 128) || first >= 240;
    }
    return (b[0] & 0xfe) == 0xfc; // fc00::/7, unique local
  }
}
