package io.vicinity.udfs.checkpoint;

import io.vicinity.udfs.ModelLoadException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tensors of a checkpoint by name. Models take what they need with {@link #require}, which checks
 * the shape against what the config implies; names never taken are reported by {@link #unusedNames()}
 * so a loader can warn about (or reject) tensors the model does not understand.
 *
 * <p>{@link #stripPrefix} gives a view of one sub-module (e.g. {@code "dinat.encoder.levels.0."}) that
 * shares the usage record with its parent; messages always name the full tensor name.
 */
public final class StateDict {
  private final String source;
  private final Map<String, HostTensor> tensors;
  private final Set<String> used;
  private final String prefix;

  /** {@code source} names where the tensors came from (a directory or file) in error messages. */
  public StateDict(String source, Map<String, HostTensor> tensors) {
    this(source, Collections.unmodifiableMap(new LinkedHashMap<>(tensors)), ConcurrentHashMap.newKeySet(), "");
  }

  private StateDict(String source, Map<String, HostTensor> tensors, Set<String> used, String prefix) {
    this.source = source;
    this.tensors = tensors;
    this.used = used;
    this.prefix = prefix;
  }

  public String source() {
    return source;
  }

  /** The prefix this view strips from full names ("" for the whole checkpoint). */
  public String prefix() {
    return prefix;
  }

  public boolean contains(String name) {
    return tensors.containsKey(prefix + name);
  }

  /** Names visible in this view (relative to its prefix), in checkpoint order. */
  public Set<String> names() {
    Set<String> names = new LinkedHashSet<>();
    for (String full : tensors.keySet()) {
      if (full.startsWith(prefix)) {
        names.add(full.substring(prefix.length()));
      }
    }
    return Collections.unmodifiableSet(names);
  }

  public int size() {
    return names().size();
  }

  /** The tensor, marked as used; a {@link ModelLoadException} names it when it is missing. */
  public HostTensor require(String name) {
    String full = prefix + name;
    HostTensor tensor = tensors.get(full);
    if (tensor == null) {
      throw new ModelLoadException(source + ": missing tensor '" + full + "'");
    }
    used.add(full);
    return tensor;
  }

  /** As {@link #require(String)}, and the shape must equal {@code expectedShape}. */
  public HostTensor require(String name, int... expectedShape) {
    HostTensor tensor = require(name);
    if (!Arrays.equals(tensor.shape(), expectedShape)) {
      throw new ModelLoadException(source + ": tensor '" + prefix + name + "' has shape "
          + Arrays.toString(tensor.shape()) + " but the config implies " + Arrays.toString(expectedShape));
    }
    return tensor;
  }

  /** A tensor the model can do without (e.g. optional layer scale); marked as used when present. */
  public Optional<HostTensor> find(String name) {
    HostTensor tensor = tensors.get(prefix + name);
    if (tensor != null) {
      used.add(prefix + name);
    }
    return Optional.ofNullable(tensor);
  }

  /** Marks tensors the model loads on purpose but does not use (e.g. a training-only auxiliary head). */
  public void markUsed(String name) {
    if (contains(name)) {
      used.add(prefix + name);
    }
  }

  /** Full names in this view that no {@link #require} or {@link #find} has taken, in checkpoint order. */
  public Set<String> unusedNames() {
    Set<String> unused = new LinkedHashSet<>();
    for (String full : tensors.keySet()) {
      if (full.startsWith(prefix) && !used.contains(full)) {
        unused.add(full);
      }
    }
    return Collections.unmodifiableSet(unused);
  }

  /** A view of the tensors whose names start with {@code subPrefix}, addressed without it. */
  public StateDict stripPrefix(String subPrefix) {
    return new StateDict(source, tensors, used, prefix + subPrefix);
  }

  @Override
  public String toString() {
    return "StateDict(" + source + (prefix.isEmpty() ? "" : ", prefix '" + prefix + "'") + ", "
        + size() + " tensors)";
  }
}
