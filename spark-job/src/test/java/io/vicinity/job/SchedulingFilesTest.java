package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Keeps the Airflow DAG and the Zeppelin note working as the job changes: their job arguments must still
 * parse (an option renamed or removed in {@link JobOptions} fails here, naming the file), the summary keys
 * they read must still be written, the note's SQL must still match the output schema and its Spark
 * settings must still match conf/spark-defaults.conf and scripts/submit.sh.
 */
class SchedulingFilesTest {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final String DAG = "scripts/airflow/vicinity_nightly.py";
  private static final String NOTE = "notebooks/vicinity.zpln";
  /** One string literal, Python or Scala; a backslash escapes the next character. */
  private static final Pattern LITERAL = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"|'((?:[^'\\\\]|\\\\.)*)'");

  // ---- Airflow ----

  @Test
  void dagJobArgumentsParse() throws IOException {
    String dag = read(DAG);
    List<String> args = new ArrayList<>();
    for (String value : literals(DAG, between(DAG, dag, "JOB_ARGS = [", "]"))) {
      args.add(renderParams(dag, value));
    }
    JobConfig config = parse(DAG + " JOB_ARGS", args);
    assertEquals(JobOptions.WriteMode.INCREMENTAL, config.get(JobOptions.MODE),
        DAG + ": a nightly run is incremental");
    assertTrue(config.isSet(JobOptions.MAX_ERROR_RATE), DAG + ": a bad night must fail the task (exit 5)");
  }

  @Test
  void dagReadsSummaryKeysTheJobWrites() throws IOException {
    String dag = read(DAG);
    List<String> keys = new ArrayList<>(literals(DAG, between(DAG, dag, "COUNTS = [", "]")));
    Matcher subscript = Pattern.compile("summary\\[\"(\\w+)\"]").matcher(dag);
    while (subscript.find()) {
      keys.add(subscript.group(1));
    }
    assertSummaryKeys(DAG, keys);
  }

  /** {{ params.NAME }} becomes the default the DAG declares for NAME ("NAME": value in its params={...}). */
  private static String renderParams(String dag, String value) {
    int params = dag.indexOf("params={");
    assertTrue(params >= 0, DAG + ": no params={...}");
    Matcher template = Pattern.compile("\\{\\{\\s*params\\.(\\w+)\\s*}}").matcher(value);
    StringBuilder out = new StringBuilder();
    while (template.find()) {
      Matcher declared =
          Pattern.compile("\"" + template.group(1) + "\":\\s*(\"[^\"]*\"|[^,\\s}]+)").matcher(dag);
      if (!declared.find(params)) {
        fail(DAG + ": no default for params." + template.group(1) + " in the DAG's params");
      }
      template.appendReplacement(out, Matcher.quoteReplacement(declared.group(1).replace("\"", "")));
    }
    template.appendTail(out);
    assertFalse(out.toString().contains("{{"), DAG + ": a template the test cannot render: " + value);
    return out.toString();
  }

  // ---- Zeppelin ----

  @Test
  void noteIsZeppelinJsonWithText() throws IOException {
    JsonNode paragraphs = note().path("paragraphs");
    assertTrue(paragraphs.isArray() && !paragraphs.isEmpty(), NOTE + ": no paragraphs");
    for (JsonNode paragraph : paragraphs) {
      assertTrue(paragraph.path("text").isTextual(),
          NOTE + ": a paragraph without text: " + paragraph.path("id"));
      assertTrue(paragraph.path("text").asText().startsWith("%"), NOTE + ": a paragraph without %interpreter");
    }
    assertTrue(note().path("name").isTextual() && note().path("id").isTextual(), NOTE + ": no name or id");
  }

  @Test
  void noteRunArgumentsParse() throws IOException {
    int runs = 0;
    for (String scala : paragraphs("%spark\n")) {
      int at = scala.indexOf("VicinityJob.run(Array(");
      for (; at >= 0; at = scala.indexOf("VicinityJob.run(Array(", at + 1)) {
        List<String> args = new ArrayList<>();
        for (String element : topLevelElements(scala, at + "VicinityJob.run(Array(".length())) {
          args.add(scalaValue(scala, element));
        }
        parse(NOTE + " VicinityJob.run", args);
        runs++;
      }
    }
    assertTrue(runs > 0, NOTE + ": no VicinityJob.run(Array(...)) in a %spark paragraph");
  }

  @Test
  void noteReadsSummaryKeysTheJobWrites() throws IOException {
    List<String> keys = new ArrayList<>();
    for (String scala : paragraphs("%spark\n")) {
      Matcher select =
          Pattern.compile("summary\\.select\\(([^)]*)\\)|getAs\\[String]\\(([^)]*)\\)").matcher(scala);
      while (select.find()) {
        keys.addAll(literals(NOTE, select.group(select.group(1) != null ? 1 : 2)));
      }
    }
    assertFalse(keys.isEmpty(), NOTE + ": reads no summary keys");
    assertSummaryKeys(NOTE, keys);
  }

  @Test
  void noteSparkSettingsMatchTheClusterDefaults() throws IOException {
    Map<String, String> defaults = properties(read("conf/spark-defaults.conf"));
    String submit = read("scripts/submit.sh");
    List<String> conf = paragraphs("%spark.conf\n");
    assertEquals(1, conf.size(), NOTE + ": expected one %spark.conf paragraph");
    for (Map.Entry<String, String> setting : properties(conf.get(0)).entrySet()) {
      String key = setting.getKey();
      if (key.equals("spark.jars.packages")) {
        assertEquals(submitPackages(submit), setting.getValue(),
            NOTE + ": spark.jars.packages differs from scripts/submit.sh's");
      } else if (!key.equals("spark.jars")) {
        assertEquals(defaults.get(key), setting.getValue(),
            NOTE + ": " + key + " differs from conf/spark-defaults.conf");
      }
    }
  }

  @Test
  void noteSqlMatchesTheOutputSchema() throws IOException {
    List<String> queries = paragraphs("%spark.sql\n");
    assertFalse(queries.isEmpty(), NOTE + ": no %spark.sql paragraph");
    SparkSession spark = SparkSession.builder().master("local[1]").appName("vicinity-scheduling-files-test")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      var rows = spark.createDataFrame(List.<Row>of(), OutputSchema.of(false));
      rows.createOrReplaceTempView("vicinity_rows");
      rows.createOrReplaceTempView("vicinity_run");
      for (String query : queries) {
        try {
          spark.sql(query.substring(query.indexOf('\n') + 1)).collect();
        } catch (Exception e) { // AnalysisException is checked in Java's eyes, thrown all the same
          fail(NOTE + ": a %spark.sql paragraph no longer runs on the classify schema: " + e.getMessage(), e);
        }
      }
    } finally {
      spark.stop();
    }
  }

  /** An element of the run's Array(...): a literal, or a val set by a form (its default: the last argument). */
  private static String scalaValue(String scala, String element) {
    Matcher literal = LITERAL.matcher(element);
    if (literal.matches()) {
      return unescape(literal.group(1));
    }
    Matcher form = Pattern.compile("val\\s+" + Pattern.quote(element) + "\\s*=\\s*z\\.\\w+\\(").matcher(scala);
    if (!element.matches("\\w+") || !form.find()) {
      fail(NOTE + ": cannot resolve '" + element + "' in VicinityJob.run(Array(...)): "
          + "use literals or vals of z.textbox / z.select");
    }
    List<String> arguments = topLevelElements(scala, form.end()); // (name, default), (name, options, default)
    Matcher defaultValue = LITERAL.matcher(arguments.get(arguments.size() - 1));
    assertTrue(defaultValue.matches(), NOTE + ": the form behind '" + element + "' has no literal default");
    return unescape(defaultValue.group(1));
  }

  /** The comma-separated elements from {@code start} to the closing parenthesis (strings, nesting skipped). */
  private static List<String> topLevelElements(String text, int start) {
    List<String> elements = new ArrayList<>();
    int depth = 0;
    int from = start;
    for (int i = start; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"') {
        for (i++; text.charAt(i) != '"'; i++) {
          i += text.charAt(i) == '\\' ? 1 : 0;
        }
      } else if (c == '(') {
        depth++;
      } else if ((c == ')' && depth-- == 0) || (c == ',' && depth == 0)) {
        elements.add(text.substring(from, i).trim());
        from = i + 1;
        if (c == ')') {
          return elements;
        }
      }
    }
    throw new AssertionError(NOTE + ": unbalanced parentheses after " + text.substring(0, start));
  }

  // ---- shared ----

  private static JobConfig parse(String where, List<String> args) {
    try {
      return JobConfig.parse(args.toArray(String[]::new));
    } catch (UsageException e) {
      throw new AssertionError(
          where + " no longer parses (" + String.join(" ", args) + "): " + e.getMessage(), e);
    }
  }

  private static void assertSummaryKeys(String file, List<String> keys) {
    RunSummary summary = new RunSummary("classify", 0, 0, 0, 0, 0, 0, Map.of(), 0, "model", "sha256:0", "cpu",
        "out", "run", false, Map.of(), Map.of(), new RunSummary.Batches(1, 1, 0.1));
    Set<String> written = summary.toMap().keySet();
    for (String key : keys) {
      assertTrue(written.contains(key),
          file + ": reads '" + key + "', which _vicinity_summary.json no longer has");
    }
  }

  private static JsonNode note() throws IOException {
    try {
      return new ObjectMapper().readTree(read(NOTE));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new AssertionError(NOTE + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The text of every paragraph that starts with {@code prefix} (e.g. "%spark\n"). */
  private static List<String> paragraphs(String prefix) throws IOException {
    List<String> texts = new ArrayList<>();
    for (JsonNode paragraph : note().path("paragraphs")) {
      String text = paragraph.path("text").asText();
      if (text.startsWith(prefix)) {
        texts.add(text);
      }
    }
    return texts;
  }

  /** "key value" lines, as spark-defaults.conf and %spark.conf write them; comments skipped. */
  private static Map<String, String> properties(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      String[] kv = line.trim().split("\\s+", 2);
      if (kv.length == 2 && !kv[0].startsWith("#") && !kv[0].startsWith("%")) {
        out.put(kv[0], kv[1].trim());
      }
    }
    return out;
  }

  /** submit.sh's default --packages, its ${X_VERSION} variables filled in. */
  private static String submitPackages(String submit) {
    Matcher packages = Pattern.compile("VICINITY_PACKAGES:-([^}]*)}").matcher(submit);
    assertTrue(packages.find(), "scripts/submit.sh: no default VICINITY_PACKAGES");
    String value = packages.group(1);
    Matcher version = Pattern.compile("(?m)^(\\w+_VERSION)=(\\S+)").matcher(submit);
    while (version.find()) {
      value = value.replace("$" + version.group(1), version.group(2));
    }
    return value;
  }

  private static String between(String file, String text, String open, String close) {
    int from = text.indexOf(open);
    int to = from < 0 ? -1 : text.indexOf(close, from + open.length());
    if (to < 0) {
      fail(file + ": no " + open + "..." + close);
    }
    return text.substring(from + open.length(), to);
  }

  private static List<String> literals(String file, String text) {
    List<String> out = new ArrayList<>();
    Matcher m = LITERAL.matcher(text);
    while (m.find()) {
      out.add(unescape(m.group(1) != null ? m.group(1) : m.group(2)));
    }
    assertFalse(out.isEmpty(), file + ": no string literals in " + text.strip());
    return out;
  }

  private static String unescape(String s) {
    return s.replaceAll("\\\\(.)", "$1");
  }

  private static String read(String relative) throws IOException {
    return Files.readString(REPO.resolve(relative));
  }
}
