package io.vicinity.job;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of logs and the run summary: values of keys that name a secret are replaced, and
 * credentials embedded in URIs ({@code s3a://KEY:SECRET@bucket/}) are dropped. The key pattern covers
 * Spark's default {@code spark.redaction.regex} plus keys ending in {@code .key} (S3A encryption keys, Azure account keys); credential provider
 * class names are not secrets and stay readable.
 */
public final class Redaction {
  public static final String REDACTED = "*********(redacted)";

  private static final Pattern SECRET_KEY = Pattern.compile(
      "(?i)secret|password|passwd|token|access[._-]?key|signature|(^|[._-])key($|[._-])");

  private Redaction() {}

  public static boolean isSecretKey(String key) {
    return SECRET_KEY.matcher(key).find();
  }

  /** {@code name=value} pairs inside a value, e.g. {@code -Dspark.hadoop.fs.s3a.secret.key=...} in JVM options. */
  private static final Pattern EMBEDDED = Pattern.compile("([\\w.\\-]+)=([^\\s,;]*)");

  /**
   * The value to show for {@code key}: redacted when the key names a secret; otherwise URIs lose their
   * user info and embedded {@code secret.key=...} pairs lose their values.
   */
  public static String value(String key, String value) {
    if (value == null) {
      return null;
    }
    if (isSecretKey(key)) {
      return REDACTED;
    }
    java.util.regex.Matcher pairs = EMBEDDED.matcher(value);
    StringBuilder out = new StringBuilder();
    while (pairs.find()) {
      String replacement = isSecretKey(pairs.group(1)) ? pairs.group(1) + "=" + REDACTED : pairs.group();
      pairs.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(replacement));
    }
    pairs.appendTail(out);
    return uri(out.toString());
  }

  /** host:port, optionally followed by a path: not user info even when an '@' follows later. */
  private static final Pattern HOST_PORT = Pattern.compile("[^/@]*:\\d+(/.*)?");

  /**
   * {@code value} with URI user info ({@code s3a://KEY:SECRET@bucket}) removed; other text unchanged.
   * Secrets may contain '/', so the user info runs to the first '@' when it holds a ':' that is not a
   * port.
   */
  public static String uri(String value) {
    int scheme = value.indexOf("://");
    if (scheme < 0) {
      return value;
    }
    int start = scheme + 3;
    int at = value.indexOf('@', start);
    if (at < 0) {
      return value;
    }
    String candidate = value.substring(start, at);
    if (!candidate.contains(":") || HOST_PORT.matcher(candidate).matches()) {
      return value;
    }
    return value.substring(0, start) + value.substring(at + 1);
  }

  /** A sorted copy of {@code settings} safe to print. */
  public static Map<String, String> all(Map<String, String> settings) {
    Map<String, String> safe = new TreeMap<>();
    settings.forEach((k, v) -> safe.put(k, value(k, v)));
    return safe;
  }
}
