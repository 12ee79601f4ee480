package io.vicinity.udfs.checkpoint;

import io.vicinity.udfs.ModelLoadException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A pickle reader that understands exactly what {@code torch.save(state_dict)} writes and nothing else.
 * It never executes anything: globals are looked up in a fixed allow-list of names whose meaning is
 * implemented here in Java (build an ordered map, describe a tensor view), and any other global, such as
 * {@code os.system} or {@code builtins.eval}, stops the load with its name in the message.
 *
 * <p>Values: str is String, int is Long (BigInteger when wider), float is Double, bool is Boolean, None
 * is null, tuples are {@link Tuple}, lists ArrayList, dicts and OrderedDicts LinkedHashMap, tensors
 * {@link TensorRef}.
 */
final class RestrictedUnpickler {
  /** An immutable pickled tuple. */
  record Tuple(List<Object> items) {
    Object get(int i) {
      return items.get(i);
    }

    int size() {
      return items.size();
    }
  }

  /** A typed storage class such as {@code torch.FloatStorage}, as named in persistent ids. */
  record StorageClass(HostDType dtype) {}

  /** A storage produced by the persistent-id callback: its bytes are the archive's {@code data/<key>}. */
  record StorageRef(HostDType dtype, String key, long numel) {}

  /** A tensor view: {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)}. */
  record TensorRef(StorageRef storage, long storageOffset, int[] size, long[] stride) {}

  /** The callables we implement; anything else is refused at the GLOBAL opcode. */
  private enum Callable {
    ORDERED_DICT,
    REBUILD_TENSOR_V2,
    REBUILD_PARAMETER,
    REBUILD_PARAMETER_WITH_STATE
  }

  private static final Map<String, Object> ALLOWED_GLOBALS = allowedGlobals();

  private static final Object MARK = new Object() {
    @Override
    public String toString() {
      return "MARK";
    }
  };

  private final String source;
  private final byte[] data;
  private final Function<Tuple, Object> persistentLoad;
  private final List<Object> stack = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();
  private int pos;

  /**
   * @param source names the pickle in messages, e.g. "{dir}/pytorch_model.bin: archive/data.pkl"
   * @param persistentLoad turns a BINPERSID tuple into a value (the storage lookup)
   */
  RestrictedUnpickler(String source, byte[] data, Function<Tuple, Object> persistentLoad) {
    this.source = source;
    this.data = data;
    this.persistentLoad = persistentLoad;
  }

  static String allowedGlobalNames() {
    return String.join(", ", ALLOWED_GLOBALS.keySet());
  }

  Object load() {
    while (true) {
      if (pos >= data.length) {
        throw fail("ends without a STOP opcode (truncated?)");
      }
      int at = pos;
      int op = data[pos++] & 0xff;
      switch (op) {
        case 0x80: { // PROTO
          int protocol = u8();
          if (protocol > 5) {
            throw fail("uses pickle protocol " + protocol + ", newer than any we know");
          }
          break;
        }
        case 0x95: // FRAME: a length hint only
          take(8);
          break;
        case '.': // STOP
          if (stack.size() != 1) {
            throw fail("STOP with " + stack.size() + " values on the stack");
          }
          return stack.get(0);
        case '(':
          stack.add(MARK);
          break;
        case '}':
          stack.add(new LinkedHashMap<Object, Object>());
          break;
        case ']':
          stack.add(new ArrayList<Object>());
          break;
        case ')':
          stack.add(new Tuple(List.of()));
          break;
        case 'N':
          stack.add(null);
          break;
        case 0x88:
          stack.add(Boolean.TRUE);
          break;
        case 0x89:
          stack.add(Boolean.FALSE);
          break;
        case 'J': // BININT
          stack.add((long) take(4).getInt());
          break;
        case 'K': // BININT1
          stack.add((long) u8());
          break;
        case 'M': // BININT2
          stack.add((long) (take(2).getShort() & 0xffff));
          break;
        case 0x8a: // LONG1
          stack.add(littleEndianInteger(u8()));
          break;
        case 0x8b: // LONG4
          stack.add(littleEndianInteger(length(take(4).getInt() & 0xffffffffL)));
          break;
        case 'G': // BINFLOAT is big-endian
          stack.add(take(8).order(ByteOrder.BIG_ENDIAN).getDouble());
          break;
        case 'X': // BINUNICODE
          stack.add(utf8(length(take(4).getInt() & 0xffffffffL)));
          break;
        case 0x8c: // SHORT_BINUNICODE
          stack.add(utf8(u8()));
          break;
        case 0x8d: // BINUNICODE8
          stack.add(utf8(length(take(8).getLong())));
          break;
        case 'q': // BINPUT
          memo.put((long) u8(), top());
          break;
        case 'r': // LONG_BINPUT
          memo.put(take(4).getInt() & 0xffffffffL, top());
          break;
        case 0x94: // MEMOIZE
          memo.put((long) memo.size(), top());
          break;
        case 'h': // BINGET
          stack.add(memoGet(u8()));
          break;
        case 'j': // LONG_BINGET
          stack.add(memoGet(take(4).getInt() & 0xffffffffL));
          break;
        case 't': // TUPLE
          stack.add(new Tuple(List.copyOf(nullSafe(popToMark()))));
          break;
        case 0x85:
          stack.add(tuple(1));
          break;
        case 0x86:
          stack.add(tuple(2));
          break;
        case 0x87:
          stack.add(tuple(3));
          break;
        case 'c': { // GLOBAL "module\nname\n"
          String module = line();
          String name = line();
          stack.add(resolveGlobal(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          Object name = pop();
          Object module = pop();
          if (!(module instanceof String) || !(name instanceof String)) {
            throw fail("STACK_GLOBAL needs two strings, got " + module + " and " + name);
          }
          stack.add(resolveGlobal((String) module, (String) name));
          break;
        }
        case 'R': { // REDUCE
          Object args = pop();
          Object callable = pop();
          stack.add(call(callable, args));
          break;
        }
        case 'Q': { // BINPERSID
          Object pid = pop();
          if (!(pid instanceof Tuple)) {
            throw fail("persistent id is not a tuple: " + pid);
          }
          stack.add(persistentLoad.apply((Tuple) pid));
          break;
        }
        case 's': { // SETITEM
          Object value = pop();
          Object key = pop();
          dictOnTop("SETITEM").put(key, value);
          break;
        }
        case 'u': { // SETITEMS
          List<Object> items = popToMark();
          if (items.size() % 2 != 0) {
            throw fail("SETITEMS with an odd number of values");
          }
          Map<Object, Object> dict = dictOnTop("SETITEMS");
          for (int i = 0; i < items.size(); i += 2) {
            dict.put(items.get(i), items.get(i + 1));
          }
          break;
        }
        case 'a': { // APPEND
          Object value = pop();
          listOnTop("APPEND").add(value);
          break;
        }
        case 'e': { // APPENDS
          List<Object> items = popToMark();
          listOnTop("APPENDS").addAll(items);
          break;
        }
        case 'b': { // BUILD: only an OrderedDict's attributes (state_dict._metadata), which we drop
          pop();
          if (!(top() instanceof Map)) {
            throw fail("BUILD on " + describe(top()) + " is not supported");
          }
          break;
        }
        default:
          throw fail(String.format("unsupported pickle opcode 0x%02x at byte %d", op, at));
      }
    }
  }

  private Object resolveGlobal(String module, String name) {
    String qualified = module + "." + name;
    Object global = ALLOWED_GLOBALS.get(qualified);
    if (global == null) {
      throw fail("refers to global '" + qualified + "', which a state dict never needs; refusing to load "
          + "it (nothing was executed). Allowed: " + allowedGlobalNames());
    }
    return global;
  }

  private Object call(Object callable, Object argsObject) {
    if (!(callable instanceof Callable)) {
      throw fail("cannot call " + describe(callable));
    }
    if (!(argsObject instanceof Tuple)) {
      throw fail("REDUCE arguments are not a tuple: " + describe(argsObject));
    }
    Tuple args = (Tuple) argsObject;
    switch ((Callable) callable) {
      case ORDERED_DICT:
        if (args.size() != 0) {
          throw fail("collections.OrderedDict called with arguments " + args.items());
        }
        return new LinkedHashMap<Object, Object>();
      case REBUILD_TENSOR_V2:
        return rebuildTensor(args);
      case REBUILD_PARAMETER:
      case REBUILD_PARAMETER_WITH_STATE:
        // (data, requires_grad, backward_hooks[, state]): the tensor is all inference needs.
        if (args.size() < 3 || !(args.get(0) instanceof TensorRef)) {
          throw fail("_rebuild_parameter called with " + args.items());
        }
        return args.get(0);
      default:
        throw new AssertionError(callable);
    }
  }

  /** (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
  private TensorRef rebuildTensor(Tuple args) {
    if (args.size() < 6 || args.size() > 7 || !(args.get(0) instanceof StorageRef)
        || !(args.get(1) instanceof Long) || !(args.get(2) instanceof Tuple) || !(args.get(3) instanceof Tuple)) {
      throw fail("_rebuild_tensor_v2 called with unexpected arguments " + args.items());
    }
    Tuple size = (Tuple) args.get(2);
    Tuple stride = (Tuple) args.get(3);
    if (size.size() != stride.size()) {
      throw fail("tensor size " + size.items() + " and stride " + stride.items() + " differ in rank");
    }
    int[] dims = new int[size.size()];
    long[] strides = new long[size.size()];
    for (int d = 0; d < dims.length; d++) {
      if (!(size.get(d) instanceof Long) || !(stride.get(d) instanceof Long)
          || (Long) size.get(d) < 0 || (Long) size.get(d) > Integer.MAX_VALUE || (Long) stride.get(d) < 0) {
        throw fail("invalid tensor size " + size.items() + " or stride " + stride.items());
      }
      dims[d] = ((Long) size.get(d)).intValue();
      strides[d] = (Long) stride.get(d);
    }
    return new TensorRef((StorageRef) args.get(0), (Long) args.get(1), dims, strides);
  }

  private Tuple tuple(int n) {
    if (stack.size() < n) {
      throw fail("stack underflow building a tuple");
    }
    List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
    stack.subList(stack.size() - n, stack.size()).clear();
    checkNoMark(items);
    return new Tuple(nullSafe(items));
  }

  /** List.copyOf refuses nulls (Python None), so tuples keep their own unmodifiable list. */
  private static List<Object> nullSafe(List<Object> items) {
    return java.util.Collections.unmodifiableList(new ArrayList<>(items));
  }

  private List<Object> popToMark() {
    for (int i = stack.size() - 1; i >= 0; i--) {
      if (stack.get(i) == MARK) {
        List<Object> items = new ArrayList<>(stack.subList(i + 1, stack.size()));
        stack.subList(i, stack.size()).clear();
        return items;
      }
    }
    throw fail("no MARK on the stack");
  }

  private void checkNoMark(List<Object> items) {
    for (Object o : items) {
      if (o == MARK) {
        throw fail("unexpected MARK");
      }
    }
  }

  @SuppressWarnings("unchecked")
  private Map<Object, Object> dictOnTop(String opcode) {
    Object target = top();
    if (!(target instanceof Map)) {
      throw fail(opcode + " on " + describe(target));
    }
    return (Map<Object, Object>) target;
  }

  @SuppressWarnings("unchecked")
  private List<Object> listOnTop(String opcode) {
    Object target = top();
    if (!(target instanceof ArrayList)) {
      throw fail(opcode + " on " + describe(target));
    }
    return (List<Object>) target;
  }

  private Object pop() {
    if (stack.isEmpty()) {
      throw fail("stack underflow at byte " + pos);
    }
    Object value = stack.remove(stack.size() - 1);
    if (value == MARK) {
      throw fail("unexpected MARK at byte " + pos);
    }
    return value;
  }

  private Object top() {
    if (stack.isEmpty()) {
      throw fail("stack underflow at byte " + pos);
    }
    return stack.get(stack.size() - 1);
  }

  private Object memoGet(long index) {
    if (!memo.containsKey(index)) {
      throw fail("memo index " + index + " read before it was written");
    }
    return memo.get(index);
  }

  private int u8() {
    return take(1).get() & 0xff;
  }

  private ByteBuffer take(int n) {
    if (n < 0 || n > data.length - pos) {
      throw fail("ends in the middle of an opcode (truncated?)");
    }
    ByteBuffer b = ByteBuffer.wrap(data, pos, n).slice().order(ByteOrder.LITTLE_ENDIAN);
    pos += n;
    return b;
  }

  private int length(long n) {
    if (n < 0 || n > data.length - pos) {
      throw fail("declares a length of " + n + " bytes past the end of the pickle (truncated?)");
    }
    return (int) n;
  }

  private String utf8(int n) {
    ByteBuffer b = take(n);
    return new String(data, b.arrayOffset(), n, StandardCharsets.UTF_8);
  }

  private String line() {
    for (int i = pos; i < data.length; i++) {
      if (data[i] == '\n') {
        String text = new String(data, pos, i - pos, StandardCharsets.UTF_8);
        pos = i + 1;
        return text;
      }
    }
    throw fail("GLOBAL name without a newline (truncated?)");
  }

  private Object littleEndianInteger(int n) {
    byte[] bigEndian = new byte[n];
    ByteBuffer b = take(n);
    for (int i = 0; i < n; i++) {
      bigEndian[n - 1 - i] = b.get(i);
    }
    if (n == 0) {
      return 0L;
    }
    BigInteger value = new BigInteger(bigEndian);
    return value.bitLength() < 64 ? (Object) value.longValue() : value;
  }

  private static String describe(Object o) {
    if (o == null) {
      return "None";
    }
    if (o instanceof Callable) {
      return "global " + o;
    }
    return o.getClass().getSimpleName() + " " + (o instanceof int[] ? Arrays.toString((int[]) o) : o);
  }

  private ModelLoadException fail(String reason) {
    return new ModelLoadException(source + ": pickle " + reason);
  }

  private static Map<String, Object> allowedGlobals() {
    Map<String, Object> globals = new LinkedHashMap<>();
    globals.put("collections.OrderedDict", Callable.ORDERED_DICT);
    globals.put("torch._utils._rebuild_tensor_v2", Callable.REBUILD_TENSOR_V2);
    globals.put("torch._utils._rebuild_parameter", Callable.REBUILD_PARAMETER);
    globals.put("torch._utils._rebuild_parameter_with_state", Callable.REBUILD_PARAMETER_WITH_STATE);
    for (String storage : List.of("DoubleStorage", "FloatStorage", "HalfStorage", "BFloat16Storage",
        "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage")) {
      globals.put("torch." + storage, new StorageClass(HostDType.fromTorchStorageName(storage)));
    }
    return java.util.Collections.unmodifiableMap(globals);
  }
}
