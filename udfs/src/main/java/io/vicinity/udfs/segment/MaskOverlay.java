package io.vicinity.udfs.segment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.image.ImageDecoder;
import io.vicinity.udfs.image.RgbImage;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * Renders an image with its segmentation mask on top: each class in its own semi-transparent colour, and a
 * legend beside the image listing the classes present (largest first) with their colours and areas. For
 * looking at outputs, not for measuring them. Used by scripts/render-mask.sh:
 *
 * <pre>MaskOverlay IMAGE MASK_PNG LABELS OUT_PNG [--alpha A]</pre>
 *
 * LABELS is a model directory (its config.json's id2label), a config.json, or a JSON object of id -> name.
 */
public final class MaskOverlay {
  static final double DEFAULT_ALPHA = 0.55;
  /** The legend lists at most this many classes, then a count of the rest. */
  static final int MAX_LEGEND_ENTRIES = 24;
  private static final int PAD = 8;
  private static final int SWATCH = 12;
  private static final ObjectMapper JSON = new ObjectMapper();

  private MaskOverlay() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 4 && !(args.length == 6 && args[4].equals("--alpha"))) {
      System.err.println("usage: MaskOverlay IMAGE MASK_PNG LABELS OUT_PNG [--alpha A]\n"
          + "  LABELS: a model directory, its config.json, or a JSON object {\"0\": \"name\", ...}");
      System.exit(2);
    }
    double alpha = args.length == 6 ? Double.parseDouble(args[5]) : DEFAULT_ALPHA;
    Path imagePath = Path.of(args[0]);
    RgbImage image = ImageDecoder.decode(imagePath.toString(), Files.readAllBytes(imagePath));
    LabelMap mask = MaskPng.decodeLabels(Files.readAllBytes(Path.of(args[1])));
    BufferedImage out = render(image, mask, readLabels(Path.of(args[2])), alpha);
    if (!ImageIO.write(out, "png", Path.of(args[3]).toFile())) {
      throw new IOException("no PNG writer in this JVM");
    }
  }

  /** The overlay with the legend to its right. */
  static BufferedImage render(RgbImage image, LabelMap mask, List<String> labels, double alpha) {
    if (mask.width() != image.width() || mask.height() != image.height()) {
      throw new IllegalArgumentException("the mask is " + mask.width() + "x" + mask.height()
          + " but the image is " + image.width() + "x" + image.height() + "; masks have the image's own size");
    }
    List<Entry> legend = legend(mask, labels);
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    FontMetrics metrics = probe.createGraphics().getFontMetrics(font);
    int lineHeight = Math.max(SWATCH, metrics.getHeight()) + 4;
    int textWidth = 0;
    for (Entry e : legend) {
      textWidth = Math.max(textWidth, metrics.stringWidth(e.text()));
    }
    int legendWidth = PAD + SWATCH + 6 + textWidth + PAD;
    int height = Math.max(image.height(), PAD * 2 + legend.size() * lineHeight);

    BufferedImage out = new BufferedImage(image.width() + legendWidth, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, out.getWidth(), out.getHeight());
    for (int y = 0; y < image.height(); y++) {
      for (int x = 0; x < image.width(); x++) {
        out.setRGB(x, y, blend(image, x, y, colour(mask.label(x, y)), alpha));
      }
    }
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setFont(font);
    int x0 = image.width() + PAD;
    for (int i = 0; i < legend.size(); i++) {
      Entry e = legend.get(i);
      int top = PAD + i * lineHeight;
      if (e.classIndex() >= 0) {
        g.setColor(colour(e.classIndex()));
        g.fillRect(x0, top, SWATCH, SWATCH);
        g.setColor(Color.DARK_GRAY);
        g.drawRect(x0, top, SWATCH, SWATCH);
      }
      g.setColor(Color.BLACK);
      g.drawString(e.text(), x0 + SWATCH + 6, top + SWATCH - 1);
    }
    g.dispose();
    return out;
  }

  /** One legend line; classIndex -1 for the "n more" line. */
  record Entry(int classIndex, String text) {}

  static List<Entry> legend(LabelMap mask, List<String> labels) {
    long[] counts = new long[Math.max(labels.size(), maxLabel(mask) + 1)];
    for (int label : mask.labels()) {
      counts[label]++;
    }
    List<Integer> present = new ArrayList<>();
    for (int c = 0; c < counts.length; c++) {
      if (counts[c] > 0) {
        present.add(c);
      }
    }
    present.sort(Comparator.comparingLong((Integer c) -> counts[c]).reversed());
    List<Entry> entries = new ArrayList<>();
    for (int c : present.subList(0, Math.min(present.size(), MAX_LEGEND_ENTRIES))) {
      String name = c < labels.size() ? labels.get(c) : "class " + c;
      double percent = 100.0 * counts[c] / mask.labels().length;
      entries.add(new Entry(c, String.format(Locale.ROOT, "%s  %.1f%%", name, percent)));
    }
    if (present.size() > MAX_LEGEND_ENTRIES) {
      entries.add(new Entry(-1, "... " + (present.size() - MAX_LEGEND_ENTRIES) + " more"));
    }
    return entries;
  }

  private static int maxLabel(LabelMap mask) {
    int max = 0;
    for (int label : mask.labels()) {
      max = Math.max(max, label);
    }
    return max;
  }

  /**
   * A fixed colour per class index: hues a golden-ratio step apart, so neighbouring indexes (often related
   * classes) get clearly different colours, and the same class has the same colour in every rendering.
   */
  static Color colour(int classIndex) {
    float hue = (float) ((classIndex * 0.6180339887498949) % 1.0);
    float saturation = 0.55f + 0.35f * ((classIndex / 7) % 2);
    return Color.getHSBColor(hue, saturation, 0.95f);
  }

  private static int blend(RgbImage image, int x, int y, Color c, double alpha) {
    int r = (int) Math.round((1 - alpha) * image.sample(x, y, 0) + alpha * c.getRed());
    int gr = (int) Math.round((1 - alpha) * image.sample(x, y, 1) + alpha * c.getGreen());
    int b = (int) Math.round((1 - alpha) * image.sample(x, y, 2) + alpha * c.getBlue());
    return (r << 16) | (gr << 8) | b;
  }

  /** Class names by index from a model directory, a config.json, or a bare id -> name object. */
  static List<String> readLabels(Path source) throws IOException {
    Path file = Files.isDirectory(source) ? source.resolve("config.json") : source;
    JsonNode json = JSON.readTree(file.toFile());
    JsonNode map = json.has("id2label") ? json.get("id2label") : json;
    if (map == null || !map.isObject()) {
      throw new IllegalArgumentException(file + ": no id2label object");
    }
    TreeMap<Integer, String> byId = new TreeMap<>();
    map.properties().forEach(e -> byId.put(Integer.parseInt(e.getKey().trim()), e.getValue().asText()));
    List<String> labels = new ArrayList<>();
    for (int i = 0; i <= (byId.isEmpty() ? -1 : byId.lastKey()); i++) {
      labels.add(byId.getOrDefault(i, "class " + i));
    }
    return labels;
  }
}
