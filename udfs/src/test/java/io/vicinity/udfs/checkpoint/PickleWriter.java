package io.vicinity.udfs.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Hand-assembles protocol-2 pickles opcode by opcode, the way CPython's Pickler would emit them. */
final class PickleWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private int nextMemo;

  PickleWriter proto(int version) {
    return op(0x80).raw(version);
  }

  PickleWriter global(String module, String name) {
    op('c');
    bytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
    return this;
  }

  PickleWriter stackGlobal(String module, String name) {
    return shortUnicode(module).shortUnicode(name).op(0x93);
  }

  /** BINPUT with the next memo index; returns this so calls chain. */
  PickleWriter put() {
    return op('q').raw(nextMemo++);
  }

  /** The memo index the next {@link #put()} will use. */
  int nextMemoIndex() {
    return nextMemo;
  }

  PickleWriter get(int index) {
    return op('h').raw(index);
  }

  PickleWriter longGet(int index) {
    return op('j').le(index, 4);
  }

  PickleWriter mark() {
    return op('(');
  }

  PickleWriter emptyTuple() {
    return op(')');
  }

  PickleWriter emptyDict() {
    return op('}');
  }

  PickleWriter emptyList() {
    return op(']');
  }

  PickleWriter unicode(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    op('X').le(b.length, 4);
    return bytes(b);
  }

  PickleWriter shortUnicode(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    op(0x8c).raw(b.length);
    return bytes(b);
  }

  /** Chooses BININT1 / BININT2 / BININT / LONG1 like CPython's save_long. */
  PickleWriter integer(long v) {
    if (v >= 0 && v < 256) {
      return op('K').raw((int) v);
    }
    if (v >= 0 && v < 65536) {
      return op('M').le(v, 2);
    }
    if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      return op('J').le(v, 4);
    }
    return op(0x8a).raw(8).le(v, 8);
  }

  PickleWriter binfloat(double v) {
    op('G');
    long bits = Double.doubleToLongBits(v);
    for (int i = 7; i >= 0; i--) {
      raw((int) (bits >>> (8 * i)) & 0xff);
    }
    return this;
  }

  PickleWriter bool(boolean v) {
    return op(v ? 0x88 : 0x89);
  }

  PickleWriter none() {
    return op('N');
  }

  /** TUPLE1/2/3 for small sizes; MARK must have been written for larger ones. */
  PickleWriter tuple(int n) {
    switch (n) {
      case 1: return op(0x85);
      case 2: return op(0x86);
      case 3: return op(0x87);
      default: return op('t');
    }
  }

  PickleWriter reduce() {
    return op('R');
  }

  PickleWriter persid() {
    return op('Q');
  }

  PickleWriter setitem() {
    return op('s');
  }

  PickleWriter setitems() {
    return op('u');
  }

  PickleWriter append() {
    return op('a');
  }

  PickleWriter build() {
    return op('b');
  }

  PickleWriter stop() {
    return op('.');
  }

  PickleWriter op(int code) {
    out.write(code);
    return this;
  }

  PickleWriter raw(int b) {
    out.write(b);
    return this;
  }

  PickleWriter bytes(byte[] b) {
    out.write(b, 0, b.length);
    return this;
  }

  private PickleWriter le(long v, int n) {
    for (int i = 0; i < n; i++) {
      out.write((int) (v >>> (8 * i)) & 0xff);
    }
    return this;
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }
}
