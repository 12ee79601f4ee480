package io.vicinity.udfs.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds files laid out like torch.save (torch 2.x) output: a zip of {@code archive/data.pkl} (a
 * protocol-2 pickle of an OrderedDict state dict with {@code _metadata}), {@code archive/byteorder},
 * {@code archive/data/<key>} storages (stored, padded like PyTorch's writer), {@code archive/version}
 * and {@code archive/.data/serialization_id}.
 */
final class TorchArchive {
  /** One state-dict entry: a view into storage {@code key}. */
  record TensorEntry(String name, String key, String storageClass, long storageNumel, long offset,
      int[] size, long[] stride, boolean parameter) {}

  private final List<TensorEntry> tensors = new ArrayList<>();
  private final Map<String, byte[]> storages = new LinkedHashMap<>();
  private String byteOrder = "little";
  private boolean deflateStorages;
  private byte[] pickleOverride;

  TorchArchive storage(String key, byte[] littleEndianBytes) {
    storages.put(key, littleEndianBytes);
    return this;
  }

  TorchArchive tensor(TensorEntry entry) {
    tensors.add(entry);
    return this;
  }

  TorchArchive byteOrder(String order) {
    byteOrder = order;
    return this;
  }

  TorchArchive deflateStorages() {
    deflateStorages = true;
    return this;
  }

  /** Replaces the generated state-dict pickle (for malicious or malformed pickles). */
  TorchArchive pickle(byte[] pickle) {
    pickleOverride = pickle;
    return this;
  }

  void write(Path file) throws IOException {
    try (OutputStream fileOut = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(fileOut)) {
      stored(zip, "archive/data.pkl", pickleOverride != null ? pickleOverride : statePickle(), false);
      if (byteOrder != null) {
        stored(zip, "archive/byteorder", byteOrder.getBytes(StandardCharsets.US_ASCII), false);
      }
      for (Map.Entry<String, byte[]> s : storages.entrySet()) {
        stored(zip, "archive/data/" + s.getKey(), s.getValue(), deflateStorages);
      }
      stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII), false);
      stored(zip, "archive/.data/serialization_id", "1234567890".getBytes(StandardCharsets.US_ASCII), false);
    }
  }

  /** The pickle torch.save writes for this state dict, memo references included. */
  byte[] statePickle() {
    PickleWriter p = new PickleWriter().proto(2);
    Map<String, Integer> memo = new HashMap<>();
    int orderedDict = p.nextMemoIndex();
    p.global("collections", "OrderedDict").put();
    p.emptyTuple().reduce().put();
    p.mark();
    for (TensorEntry t : tensors) {
      p.unicode(t.name()).put();
      if (t.parameter()) {
        memoized(p, memo, "torch._utils", "_rebuild_parameter");
      }
      memoized(p, memo, "torch._utils", "_rebuild_tensor_v2");
      p.mark();
      p.mark();
      memoizedString(p, memo, "storage");
      memoized(p, memo, "torch", t.storageClass());
      p.unicode(t.key()).put();
      memoizedString(p, memo, "cpu");
      p.integer(t.storageNumel());
      p.op('t').put();
      p.persid();
      p.integer(t.offset());
      longTuple(p, toLongs(t.size()));
      longTuple(p, t.stride());
      p.bool(false);
      p.get(orderedDict).emptyTuple().reduce().put();
      p.op('t').put();
      p.reduce().put();
      if (t.parameter()) {
        p.bool(true).get(orderedDict).emptyTuple().reduce().put();
        p.tuple(3).put().reduce().put();
      }
    }
    p.setitems();
    // state_dict()._metadata travels as the OrderedDict's instance __dict__ through BUILD.
    p.emptyDict().put().unicode("_metadata").put();
    p.get(orderedDict).emptyTuple().reduce().put();
    p.mark().unicode("").put().emptyDict().put().unicode("version").put().integer(1).setitem().setitems();
    p.setitem();
    p.build();
    return p.stop().toByteArray();
  }

  private static void memoized(PickleWriter p, Map<String, Integer> memo, String module, String name) {
    Integer index = memo.get(module + "." + name);
    if (index != null) {
      p.get(index);
    } else {
      memo.put(module + "." + name, p.nextMemoIndex());
      p.global(module, name).put();
    }
  }

  private static void memoizedString(PickleWriter p, Map<String, Integer> memo, String s) {
    Integer index = memo.get("str:" + s);
    if (index != null) {
      p.get(index);
    } else {
      memo.put("str:" + s, p.nextMemoIndex());
      p.unicode(s).put();
    }
  }

  private static void longTuple(PickleWriter p, long[] values) {
    if (values.length == 0) {
      p.emptyTuple();
      return;
    }
    if (values.length > 3) {
      p.mark();
    }
    for (long v : values) {
      p.integer(v);
    }
    p.tuple(values.length).put();
  }

  private static long[] toLongs(int[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  /** Stored entries carry PyTorch-style "FB" padding in the local extra field, like torch's writer. */
  private static void stored(ZipOutputStream zip, String name, byte[] data, boolean deflate) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    if (deflate) {
      entry.setMethod(ZipEntry.DEFLATED);
    } else {
      entry.setMethod(ZipEntry.STORED);
      entry.setSize(data.length);
      entry.setCompressedSize(data.length);
      CRC32 crc = new CRC32();
      crc.update(data);
      entry.setCrc(crc.getValue());
      byte[] padding = new byte[4 + 13];
      padding[0] = 'F';
      padding[1] = 'B';
      padding[2] = 13;
      entry.setExtra(padding);
    }
    zip.putNextEntry(entry);
    zip.write(data);
    zip.closeEntry();
  }
}
