package io.vicinity.job;

import io.vicinity.udfs.InferenceOptions;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** The job's parsed command line; values are read through the entries declared in {@link JobOptions}. */
public final class JobConfig {
  private final Map<ConfigEntry<?>, Object> values;

  private JobConfig(Map<ConfigEntry<?>, Object> values) {
    this.values = values;
  }

  /**
   * Parses {@code --key value}, {@code --key=value} and bare flags. Every problem is a
   * {@link UsageException} naming the option; with {@code --help} the required options may be absent.
   */
  public static JobConfig parse(String... args) {
    Map<String, ConfigEntry<?>> byKey = new HashMap<>();
    for (ConfigEntry<?> entry : JobOptions.ALL) {
      byKey.put(entry.key(), entry);
    }
    Map<ConfigEntry<?>, Object> values = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      int equals = arg.indexOf('=');
      String key = equals > 0 ? arg.substring(0, equals) : arg;
      ConfigEntry<?> entry = byKey.get(key);
      if (entry == null) {
        throw new UsageException(arg.startsWith("--")
            ? "unknown option '" + key + "'"
            : "unexpected argument '" + arg + "' (options start with --)");
      }
      if (values.containsKey(entry)) {
        throw new UsageException(key + " given more than once");
      }
      Object value;
      if (entry.isFlag()) {
        if (equals > 0) {
          throw new UsageException(key + " takes no value, got '" + arg.substring(equals + 1) + "'");
        }
        value = Boolean.TRUE;
      } else if (equals > 0) {
        value = entry.parse(arg.substring(equals + 1));
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        value = entry.parse(args[++i]);
      } else {
        throw new UsageException(key + " needs a value (" + entry.valueName() + ")");
      }
      values.put(entry, value);
    }
    JobConfig config = new JobConfig(values);
    if (!config.helpRequested()) {
      for (ConfigEntry<?> entry : JobOptions.ALL) {
        if (entry.required() && !values.containsKey(entry)) {
          throw new UsageException("missing required option " + entry.key() + " " + entry.valueName());
        }
      }
      JobOptions.checkCombinations(config);
    }
    return config;
  }

  /**
   * The value given on the command line, else the entry's default for the --task given (see
   * {@link JobOptions#taskDefault}), else its default (null when it has none).
   */
  public <T> T get(ConfigEntry<T> entry) {
    @SuppressWarnings("unchecked")
    T value = (T) values.get(entry);
    if (value == null) {
      value = JobOptions.taskDefault(entry, (JobOptions.Task) values.get(JobOptions.TASK));
    }
    return value != null ? value : entry.defaultValue().orElse(null);
  }

  /** True when the command line gave the option (a default does not count). */
  public boolean isSet(ConfigEntry<?> entry) {
    return values.containsKey(entry);
  }

  public boolean helpRequested() {
    return Boolean.TRUE.equals(values.get(JobOptions.HELP));
  }

  /**
   * Every option with its effective value as text (flags included), in declaration order: the
   * configuration dump of the run summary. Values pass through {@link Redaction}.
   */
  public java.util.Map<String, String> effectiveValues() {
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    for (ConfigEntry<?> entry : JobOptions.ALL) {
      if (entry == JobOptions.HELP) {
        continue;
      }
      Object value = get(entry);
      String text = value == null ? null : ConfigEntry.text(value);
      out.put(entry.key(), Redaction.value(entry.key(), text));
    }
    return out;
  }

  /** What the inference library needs to know, from the job's options. */
  public InferenceOptions inferenceOptions() {
    return new InferenceOptions(
        get(JobOptions.TOP_K),
        get(JobOptions.EMIT_LOGITS),
        get(JobOptions.BATCH_SIZE),
        get(JobOptions.BACKEND).name().toLowerCase(Locale.ROOT),
        precision());
  }

  /** The --precision option as the inference library names it ("fp32", "bf16"). */
  public String precision() {
    return get(JobOptions.PRECISION).name().toLowerCase(Locale.ROOT);
  }
}
