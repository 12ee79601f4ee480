package io.vicinity.udfs.checkpoint;

import io.vicinity.udfs.ModelLoadException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One named tensor of a checkpoint, in host memory or still memory-mapped. Elements are little-endian
 * and addressed like PyTorch: {@code storageOffset + sum(index[d] * strides[d])} elements into the
 * storage, so a non-contiguous view from a pickled state dict needs no copy until it is read.
 * Immutable and safe to share between threads.
 */
public final class HostTensor {
  private final String name;
  private final int[] shape;
  private final HostDType dtype;
  private final LazyBytes storage;
  private final long storageOffset;
  private final long[] strides;

  HostTensor(String name, int[] shape, HostDType dtype, LazyBytes storage, long storageOffset,
      long[] strides) {
    this.name = name;
    this.shape = shape.clone();
    this.dtype = dtype;
    this.storage = storage;
    this.storageOffset = storageOffset;
    this.strides = strides.clone();
  }

  /** A contiguous tensor over {@code storage}. */
  static HostTensor contiguous(String name, int[] shape, HostDType dtype, LazyBytes storage) {
    return new HostTensor(name, shape, dtype, storage, 0, contiguousStrides(shape));
  }

  /** An F32 tensor holding a copy of {@code data}; its length must equal the product of the shape. */
  public static HostTensor ofFloats(String name, int[] shape, float[] data) {
    checkLength(name, shape, data.length);
    ByteBuffer bytes = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(data);
    return contiguous(name, shape, HostDType.F32, LazyBytes.ready(bytes));
  }

  /**
   * A contiguous tensor of any dtype over a copy of {@code littleEndianBytes} (numel * itemSize bytes).
   * Lets tests and tools build F16, BF16 or integer tensors bit by bit.
   */
  public static HostTensor ofBytes(String name, int[] shape, HostDType dtype, byte[] littleEndianBytes) {
    long numel = numel(shape);
    if (littleEndianBytes.length != numel * dtype.itemSize()) {
      throw new IllegalArgumentException("tensor '" + name + "' of shape " + Arrays.toString(shape)
          + " and dtype " + dtype + " needs " + numel * dtype.itemSize() + " bytes, got "
          + littleEndianBytes.length);
    }
    return contiguous(name, shape, dtype, LazyBytes.ready(ByteBuffer.wrap(littleEndianBytes.clone())));
  }

  public String name() {
    return name;
  }

  public int[] shape() {
    return shape.clone();
  }

  public HostDType dtype() {
    return dtype;
  }

  public int rank() {
    return shape.length;
  }

  public long numel() {
    return numel(shape);
  }

  /** The same data under another name (used by prefix-stripping views and sharded loads). */
  public HostTensor withName(String newName) {
    return new HostTensor(newName, shape, dtype, storage, storageOffset, strides);
  }

  /** All elements as float32 in row-major order; exact for F16 and BF16, rounded for F64 and I64. */
  public float[] toFloats() {
    float[] out = new float[checkedIntNumel()];
    ByteBuffer b = storage.get();
    int item = dtype.itemSize();
    int i = 0;
    for (ElementCursor c = new ElementCursor(); c.hasNext(); ) {
      out[i++] = readFloat(b, (int) (c.next() * item));
    }
    return out;
  }

  /** All elements of an integer or boolean tensor as longs in row-major order (U8 read unsigned). */
  public long[] toLongs() {
    if (dtype.isFloatingPoint()) {
      throw new ModelLoadException("tensor '" + name + "' has dtype " + dtype
          + " but an integer tensor was expected");
    }
    long[] out = new long[checkedIntNumel()];
    ByteBuffer b = storage.get();
    int item = dtype.itemSize();
    int i = 0;
    for (ElementCursor c = new ElementCursor(); c.hasNext(); ) {
      out[i++] = readLong(b, (int) (c.next() * item));
    }
    return out;
  }

  /** The elements as contiguous little-endian bytes in this tensor's own dtype (copied if strided). */
  public ByteBuffer toContiguousBytes() {
    int item = dtype.itemSize();
    long size = numel() * item;
    if (size > Integer.MAX_VALUE) {
      throw new ModelLoadException("tensor '" + name + "' is too large (" + size + " bytes) to copy");
    }
    ByteBuffer b = storage.get();
    if (isContiguous()) {
      return b.position((int) (storageOffset * item)).limit((int) (storageOffset * item + size))
          .slice().order(ByteOrder.LITTLE_ENDIAN);
    }
    ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    for (ElementCursor c = new ElementCursor(); c.hasNext(); ) {
      int at = (int) (c.next() * item);
      for (int k = 0; k < item; k++) {
        out.put(b.get(at + k));
      }
    }
    return out.flip();
  }

  /** Whether the elements lie in row-major order without gaps (true for every safetensors tensor). */
  public boolean isContiguous() {
    long expected = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] != 1 && strides[d] != expected) {
        return false;
      }
      expected *= shape[d];
    }
    return true;
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape);
  }

  private float readFloat(ByteBuffer b, int at) {
    switch (dtype) {
      case F64: return (float) b.getDouble(at);
      case F32: return b.getFloat(at);
      case F16: return HalfFloats.f16ToFloat(b.getShort(at));
      case BF16: return HalfFloats.bf16ToFloat(b.getShort(at));
      default: return (float) readLong(b, at);
    }
  }

  private long readLong(ByteBuffer b, int at) {
    switch (dtype) {
      case I64: return b.getLong(at);
      case I32: return b.getInt(at);
      case I16: return b.getShort(at);
      case I8: return b.get(at);
      case U8: return b.get(at) & 0xff;
      case BOOL: return b.get(at) != 0 ? 1 : 0;
      default: throw new IllegalStateException("not an integer dtype: " + dtype);
    }
  }

  private int checkedIntNumel() {
    long n = numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new ModelLoadException("tensor '" + name + "' has " + n + " elements, too many for one array");
    }
    return (int) n;
  }

  /** Walks the storage element index of each tensor element in row-major order. */
  private final class ElementCursor {
    private final int[] index = new int[shape.length];
    private final long total = numel();
    private long visited;
    private long offset = storageOffset;

    boolean hasNext() {
      return visited < total;
    }

    long next() {
      long current = offset;
      visited++;
      // Odometer increment of the multi-index, updating the storage offset incrementally.
      for (int d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) {
          offset += strides[d];
          break;
        }
        offset -= strides[d] * (shape[d] - 1);
        index[d] = 0;
      }
      return current;
    }
  }

  static long numel(int[] shape) {
    long n = 1;
    for (int s : shape) {
      n *= s;
    }
    return n;
  }

  static long[] contiguousStrides(int[] shape) {
    long[] strides = new long[shape.length];
    long stride = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      strides[d] = stride;
      stride *= shape[d];
    }
    return strides;
  }

  private static void checkLength(String name, int[] shape, int length) {
    if (numel(shape) != length) {
      throw new IllegalArgumentException("tensor '" + name + "' of shape " + Arrays.toString(shape)
          + " needs " + numel(shape) + " values, got " + length);
    }
  }
}
