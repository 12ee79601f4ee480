package io.vicinity.job;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One command-line option, declared once: its key, value type, documentation, default and validation.
 * {@link JobOptions} holds every entry; the usage text and all parse errors are generated from here.
 *
 * @param <T> the type of the parsed value
 */
public final class ConfigEntry<T> {
  private final String key;
  private final String valueName;
  private final String doc;
  private final T defaultValue;
  private final boolean required;
  private final boolean internal;
  private final Function<String, T> parser;
  private final Predicate<T> check;
  private final String checkDescription;

  private ConfigEntry(Builder<T> b) {
    this.key = b.key;
    this.valueName = b.valueName;
    this.doc = b.doc;
    this.defaultValue = b.defaultValue;
    this.required = b.required;
    this.internal = b.internal;
    this.parser = b.parser;
    this.check = b.check;
    this.checkDescription = b.checkDescription;
  }

  /** The option as typed on the command line, e.g. {@code --top-k}. */
  public String key() {
    return key;
  }

  /** What the value looks like in the usage text ({@code N}, {@code DIR}), or null for a flag. */
  public String valueName() {
    return valueName;
  }

  public boolean isFlag() {
    return valueName == null;
  }

  public String doc() {
    return doc;
  }

  public boolean required() {
    return required;
  }

  /** Test-only options: accepted on the command line, left out of the usage text. */
  public boolean internal() {
    return internal;
  }

  public Optional<T> defaultValue() {
    return Optional.ofNullable(defaultValue);
  }

  /** Parses and validates one raw value; the error names the key and the value it was given. */
  T parse(String raw) {
    T value;
    try {
      value = parser.apply(raw);
    } catch (RuntimeException e) {
      throw new UsageException(key + ": expected " + checkDescription + ", got '" + raw + "'");
    }
    if (!check.test(value)) {
      throw new UsageException(key + ": expected " + checkDescription + ", got '" + raw + "'");
    }
    return value;
  }

  // ---- builders: one per value type, so JobOptions reads as a table ----

  public static Builder<String> string(String key, String valueName) {
    return new Builder<String>(key, valueName, s -> s, "a non-empty value")
        .check(s -> !s.isBlank(), "a non-empty value");
  }

  public static Builder<Integer> integer(String key, String valueName) {
    return new Builder<>(key, valueName, Integer::parseInt, "an integer");
  }

  public static Builder<Long> longInteger(String key, String valueName) {
    return new Builder<>(key, valueName, Long::parseLong, "an integer");
  }

  public static Builder<Double> decimal(String key, String valueName) {
    return new Builder<>(key, valueName, Double::parseDouble, "a number");
  }

  /** A size in bytes: a plain number, or with a k, m or g suffix (powers of 1024), e.g. {@code 256m}. */
  public static Builder<Long> bytes(String key) {
    return new Builder<>(key, "BYTES", ConfigEntry::parseBytes, "a size such as 4096, 64k, 256m or 2g");
  }

  static long parseBytes(String raw) {
    String s = raw.trim().toLowerCase(Locale.ROOT);
    int shift = switch (s.isEmpty() ? ' ' : s.charAt(s.length() - 1)) {
      case 'k' -> 10;
      case 'm' -> 20;
      case 'g' -> 30;
      default -> 0;
    };
    long number = Long.parseLong(shift == 0 ? s : s.substring(0, s.length() - 1));
    if (number < 0 || number > (Long.MAX_VALUE >> shift)) {
      throw new NumberFormatException(raw);
    }
    return number << shift;
  }

  /** Three comma-separated integers >= 1 (one per video axis T, H, W); {@code odd}: each must be odd. */
  public static Builder<int[]> triple(String key, String valueName, boolean odd) {
    String description = odd ? "three odd integers >= 1 such as 3,3,3" : "three integers >= 1 such as 1,1,1";
    return new Builder<int[]>(key, valueName, ConfigEntry::parseTriple, description)
        .check(t -> java.util.Arrays.stream(t).allMatch(v -> v >= 1 && (!odd || v % 2 == 1)), description);
  }

  static int[] parseTriple(String raw) {
    String[] parts = raw.split(",", -1);
    if (parts.length != 3) {
      throw new NumberFormatException(raw);
    }
    int[] out = new int[3];
    for (int i = 0; i < 3; i++) {
      out[i] = Integer.parseInt(parts[i].trim());
    }
    return out;
  }

  /** A value as the usage text and the summary show it: enums lower case, arrays comma-separated. */
  static String text(Object value) {
    if (value instanceof Enum<?> e) {
      return e.name().toLowerCase(Locale.ROOT);
    }
    if (value instanceof int[] ints) {
      return java.util.Arrays.stream(ints).mapToObj(Integer::toString)
          .collect(java.util.stream.Collectors.joining(","));
    }
    return value.toString();
  }

  public static Builder<Boolean> flag(String key) {
    return new Builder<>(key, null, Boolean::parseBoolean, "no value").defaultValue(false);
  }

  /** Values are the enum constants' names, lower case, matched case-insensitively. */
  public static <E extends Enum<E>> Builder<E> choice(String key, Class<E> type) {
    StringBuilder names = new StringBuilder();
    for (E constant : type.getEnumConstants()) {
      names.append(names.length() == 0 ? "" : "|").append(constant.name().toLowerCase(Locale.ROOT));
    }
    return new Builder<>(
        key,
        names.toString(),
        s -> Enum.valueOf(type, s.toUpperCase(Locale.ROOT)),
        "one of " + names);
  }

  /** Fluent builder; {@link #build} is the only way to make an entry. */
  public static final class Builder<T> {
    private final String key;
    private final String valueName;
    private final Function<String, T> parser;
    private String doc = "";
    private T defaultValue;
    private boolean required;
    private boolean internal;
    private Predicate<T> check = v -> true;
    private String checkDescription;

    private Builder(String key, String valueName, Function<String, T> parser, String typeDescription) {
      this.key = key;
      this.valueName = valueName;
      this.parser = parser;
      this.checkDescription = typeDescription;
    }

    public Builder<T> doc(String text) {
      this.doc = text;
      return this;
    }

    public Builder<T> defaultValue(T value) {
      this.defaultValue = value;
      return this;
    }

    public Builder<T> required() {
      this.required = true;
      return this;
    }

    /** Marks a test-only option, hidden from the usage text. */
    public Builder<T> internal() {
      this.internal = true;
      return this;
    }

    /** A validation rule and how to describe it in an error ("an integer >= 1"). */
    public Builder<T> check(Predicate<T> rule, String description) {
      this.check = rule;
      this.checkDescription = description;
      return this;
    }

    public ConfigEntry<T> build() {
      return new ConfigEntry<>(this);
    }
  }
}
