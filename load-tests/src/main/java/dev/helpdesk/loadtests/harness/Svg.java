package dev.helpdesk.loadtests.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Hand-written SVG charts: line charts with points and whiskers, and labelled horizontal bars. */
final class Svg {
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"};
  private static final int W = 720;
  private static final int H = 400;
  private static final int L = 80;
  private static final int R = 170;
  private static final int T = 50;
  private static final int B = 60;

  private Svg() {}

  /** A series of points; lo/hi (optional, same length) draw whiskers, e.g. min..max over repeats. */
  record Series(String name, double[] x, double[] y, double[] lo, double[] hi) {
    Series(String name, double[] x, double[] y) {
      this(name, x, y, null, null);
    }
  }

  /** A horizontal reference line across the plot (dashed, grey unless a colour is given). */
  record Ref(String name, double y, String color) {
    Ref(String name, double y) {
      this(name, y, "#555");
    }
  }

  static String line(String title, String xLabel, String yLabel, List<Series> series, List<Ref> refs, boolean logX,
                     List<String> xTickLabels) {
    double xmin = Double.MAX_VALUE, xmax = -Double.MAX_VALUE, ymax = 0;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        if (Double.isNaN(s.y()[i])) continue;
        xmin = Math.min(xmin, tx(s.x()[i], logX));
        xmax = Math.max(xmax, tx(s.x()[i], logX));
        ymax = Math.max(ymax, s.hi() != null && !Double.isNaN(s.hi()[i]) ? s.hi()[i] : s.y()[i]);
      }
    }
    for (Ref r : refs) if (!Double.isNaN(r.y()) && !Double.isInfinite(r.y())) ymax = Math.max(ymax, r.y());
    if (xmin == Double.MAX_VALUE) {
      xmin = 0;
      xmax = 1;
    }
    if (xTickLabels == null && !logX) xmin = Math.min(0, xmin); // a time axis starts at 0
    if (xmax == xmin) {
      xmin -= 1;
      xmax += 1;
    }
    ymax = ymax <= 0 ? 1 : niceCeil(ymax * 1.05);
    StringBuilder sb = header(title);
    axes(sb, xLabel, yLabel, ymax);
    final double fxmin = xmin, fxmax = xmax, fymax = ymax;
    // x ticks at the data's x values (settings), or evenly spaced for a continuous axis (time)
    List<Double> xs = new ArrayList<>();
    if (xTickLabels == null && !logX) {
      for (int i = 0; i <= 6; i++) xs.add(fxmin + (fxmax - fxmin) * i / 6);
    } else {
      for (Series s : series) for (double x : s.x()) if (!xs.contains(x)) xs.add(x);
      xs.sort(Double::compare);
    }
    for (int i = 0; i < xs.size(); i++) {
      double px = px(tx(xs.get(i), logX), fxmin, fxmax);
      String lab = xTickLabels != null && i < xTickLabels.size() ? xTickLabels.get(i) : num(xs.get(i));
      sb.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#999'/>", px, H - B, px, H - B + 5));
      sb.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%s</text>%n", px, H - B + 18, esc(lab)));
    }
    int legend = 0;
    for (Ref r : refs) {
      if (Double.isNaN(r.y()) || Double.isInfinite(r.y())) continue;
      double py = py(r.y(), fymax);
      sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='%s' stroke-dasharray='6 4'/>%n", L, py, W - R, py, r.color()));
      legendEntry(sb, legend++, r.color(), r.name(), true);
    }
    for (int si = 0; si < series.size(); si++) {
      Series s = series.get(si);
      String color = COLORS[si % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i < s.x().length; i++) {
        if (Double.isNaN(s.y()[i])) continue;
        double px = px(tx(s.x()[i], logX), fxmin, fxmax);
        double py = py(s.y()[i], fymax);
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
        if (s.lo() != null && s.hi() != null && !Double.isNaN(s.lo()[i]) && !Double.isNaN(s.hi()[i])) {
          sb.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='1.5'/>%n",
              px, py(s.lo()[i], fymax), px, py(s.hi()[i], fymax), color));
        }
        if (s.x().length <= 30) {
          sb.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3.5' fill='%s'><title>%s: %s</title></circle>%n",
              px, py, color, esc(s.name()), num(s.y()[i])));
        }
      }
      sb.append(String.format(Locale.ROOT, "<polyline fill='none' stroke='%s' stroke-width='2' points='%s'/>%n", color, pts.toString().trim()));
      legendEntry(sb, legend++, color, s.name(), false);
    }
    return sb.append("</svg>\n").toString();
  }

  /** A bar row: a label and its value; rows of one group share the group's scale. */
  record Bar(String group, String label, double value, String unit) {}

  /** Horizontal bars grouped by {@code group}, each group scaled to its own maximum (values printed). */
  static String bars(String title, List<Bar> bars) {
    List<String> groups = new ArrayList<>();
    for (Bar b : bars) if (!groups.contains(b.group())) groups.add(b.group());
    int rowH = 22;
    int height = T + groups.size() * 26 + bars.size() * rowH + 20;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' font-family='sans-serif'>%n", W, height, W, height));
    sb.append(String.format(Locale.ROOT, "<rect width='%d' height='%d' fill='white'/>%n", W, height));
    sb.append(String.format(Locale.ROOT, "<text x='%d' y='28' font-size='16' font-weight='bold' text-anchor='middle'>%s</text>%n", W / 2, esc(title)));
    int y = T;
    int labelW = 190;
    int barMax = W - labelW - 150;
    for (int g = 0; g < groups.size(); g++) {
      String group = groups.get(g);
      sb.append(String.format(Locale.ROOT, "<text x='10' y='%d' font-size='13' font-weight='bold'>%s</text>%n", y + 16, esc(group)));
      y += 26;
      double max = bars.stream().filter(b -> b.group().equals(group) && !Double.isNaN(b.value())).mapToDouble(Bar::value).max().orElse(1);
      if (max <= 0) max = 1;
      for (Bar b : bars) {
        if (!b.group().equals(group)) continue;
        double w = Double.isNaN(b.value()) ? 0 : b.value() / max * barMax;
        sb.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='12' text-anchor='end'>%s</text>%n", labelW - 8, y + 15, esc(b.label())));
        sb.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%.1f' height='%d' fill='%s'/>%n", labelW, y + 3, w, rowH - 6, COLORS[g % COLORS.length]));
        sb.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='12'>%s</text>%n", labelW + w + 6, y + 15,
            esc(Double.isNaN(b.value()) ? "n/a" : num(b.value()) + " " + b.unit())));
        y += rowH;
      }
    }
    return sb.append("</svg>\n").toString();
  }

  private static StringBuilder header(String title) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' font-family='sans-serif'>%n", W, H, W, H));
    sb.append(String.format(Locale.ROOT, "<rect width='%d' height='%d' fill='white'/>%n", W, H));
    sb.append(String.format(Locale.ROOT, "<text x='%d' y='28' font-size='16' font-weight='bold' text-anchor='middle'>%s</text>%n", (W - R + L) / 2, esc(title)));
    return sb;
  }

  private static void axes(StringBuilder sb, String xLabel, String yLabel, double ymax) {
    sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", L, H - B, W - R, H - B));
    sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", L, T, L, H - B));
    for (int i = 0; i <= 5; i++) {
      double v = ymax * i / 5;
      double py = py(v, ymax);
      sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/>%n", L, py, W - R, py));
      sb.append(String.format(Locale.ROOT, "<text x='%d' y='%.1f' font-size='11' text-anchor='end'>%s</text>%n", L - 6, py + 4, num(v)));
    }
    sb.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>%s</text>%n", (W - R + L) / 2, H - 18, esc(xLabel)));
    sb.append(String.format(Locale.ROOT, "<text x='18' y='%d' font-size='12' text-anchor='middle' transform='rotate(-90 18 %d)'>%s</text>%n",
        (H - B + T) / 2, (H - B + T) / 2, esc(yLabel)));
  }

  private static void legendEntry(StringBuilder sb, int i, String color, String name, boolean dashed) {
    int y = T + 10 + i * 20;
    int x = W - R + 12;
    sb.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='%s' stroke-width='2'%s/>%n", x, y, x + 20, y, color,
        dashed ? " stroke-dasharray='6 4'" : ""));
    sb.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='11'>%s</text>%n", x + 26, y + 4, esc(name)));
  }

  private static double tx(double x, boolean log) {
    return log ? Math.log(Math.max(x, 1e-9)) / Math.log(2) : x;
  }

  private static double px(double x, double min, double max) {
    double pad = (max - min) * 0.05;
    return L + (x - min + pad) / (max - min + 2 * pad) * (W - R - L);
  }

  private static double py(double y, double ymax) {
    return H - B - y / ymax * (H - B - T);
  }

  static double niceCeil(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) if (m * p >= v) return m * p;
    return 10 * p;
  }

  static String num(double v) {
    if (Double.isNaN(v)) return "n/a";
    double a = Math.abs(v);
    if (a >= 100) return String.format(Locale.ROOT, "%,.0f", v);
    if (a >= 10) return String.format(Locale.ROOT, "%.1f", v);
    return String.format(Locale.ROOT, "%.2f", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
