package io.vicinity.udfs.checkpoint;

import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.checkpoint.RestrictedUnpickler.StorageClass;
import io.vicinity.udfs.checkpoint.RestrictedUnpickler.StorageRef;
import io.vicinity.udfs.checkpoint.RestrictedUnpickler.TensorRef;
import io.vicinity.udfs.checkpoint.RestrictedUnpickler.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code pytorch_model.bin} as torch.save writes it (torch 1.6+ zip format): entries
 * {@code <archive>/data.pkl} (the pickled state dict), {@code <archive>/data/<key>} (one per storage,
 * stored uncompressed, so they are memory-mapped), {@code <archive>/byteorder} and
 * {@code <archive>/version}. The pickle goes through {@link RestrictedUnpickler}; nothing in the file
 * can run code. The legacy pre-1.6 (non-zip) format is refused with a message saying so.
 */
public final class PytorchBinReader {
  private PytorchBinReader() {}

  /** The file's tensors as a state dict whose messages name the file. */
  public static StateDict read(Path file) {
    return new StateDict(file.toString(), readTensors(file));
  }

  /** The tensors by name, in the state dict's order. */
  public static Map<String, HostTensor> readTensors(Path file) {
    ZipArchive zip = openZip(file);
    String archive = archivePrefix(file, zip);
    checkByteOrder(file, zip, archive);

    ZipArchive.Entry pickleEntry = zip.entries().get(archive + "data.pkl");
    String pickleSource = file + ": " + archive + "data.pkl";
    Map<String, LazyBytes> storages = new HashMap<>();
    Object root = new RestrictedUnpickler(pickleSource, zip.readBytes(pickleEntry),
        pid -> storage(file, zip, archive, pid, storages)).load();

    if (!(root instanceof Map)) {
      throw new ModelLoadException(file + ": the pickle holds " + (root == null ? "None" : root.getClass().getSimpleName())
          + ", not a state dict (a mapping of names to tensors)");
    }
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : ((Map<?, ?>) root).entrySet()) {
      if (!(e.getKey() instanceof String) || !(e.getValue() instanceof TensorRef)) {
        throw new ModelLoadException(file + ": state dict entry '" + e.getKey() + "' is not a tensor ("
            + (e.getValue() == null ? "None" : e.getValue().getClass().getSimpleName())
            + "); only flat name -> tensor state dicts are supported");
      }
      String name = (String) e.getKey();
      tensors.put(name, toHostTensor(file, name, (TensorRef) e.getValue(), storages));
    }
    return tensors;
  }

  private static ZipArchive openZip(Path file) {
    byte[] magic = new byte[2];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(magic, 0, 2);
      if (n == 2 && (magic[0] & 0xff) == 0x80) {
        // A bare pickle: torch.save(..., _use_new_zipfile_serialization=False), before torch 1.6.
        throw new ModelLoadException(file + ": PyTorch's legacy (pre-1.6, non-zip) format is not supported; "
            + "re-save it with a current torch.save or convert it to safetensors");
      }
      if (n < 2 || magic[0] != 'P' || magic[1] != 'K') {
        throw new ModelLoadException(file + ": not a PyTorch checkpoint (not a zip archive)");
      }
    } catch (IOException e) {
      throw new ModelLoadException(file + ": cannot read: " + e.getMessage(), e);
    }
    return ZipArchive.open(file);
  }

  /** The single top-level folder holding data.pkl ("archive/" for torch 2.x, the file stem before). */
  private static String archivePrefix(Path file, ZipArchive zip) {
    List<String> prefixes = new ArrayList<>();
    for (String name : zip.entries().keySet()) {
      int slash = name.indexOf('/');
      if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
        prefixes.add(name.substring(0, slash + 1));
      }
    }
    if (prefixes.size() != 1) {
      throw new ModelLoadException(file + ": expected one '<archive>/data.pkl' entry, found "
          + (prefixes.isEmpty() ? "none" : prefixes));
    }
    return prefixes.get(0);
  }

  private static void checkByteOrder(Path file, ZipArchive zip, String archive) {
    ZipArchive.Entry entry = zip.entries().get(archive + "byteorder");
    if (entry == null) {
      return; // written before torch 1.12: always little-endian
    }
    String order = new String(zip.readBytes(entry), StandardCharsets.US_ASCII).trim();
    if (!order.equals("little")) {
      throw new ModelLoadException(file + ": byteorder is '" + order + "'; only little-endian checkpoints are supported");
    }
  }

  /** Resolves a persistent id ('storage', storage_class, key, location, numel) to the storage entry. */
  private static StorageRef storage(Path file, ZipArchive zip, String archive, Tuple pid,
      Map<String, LazyBytes> storages) {
    if (pid.size() != 5 || !"storage".equals(pid.get(0)) || !(pid.get(1) instanceof StorageClass)
        || !(pid.get(2) instanceof String) || !(pid.get(4) instanceof Long)) {
      throw new ModelLoadException(file + ": unexpected persistent id " + pid.items());
    }
    HostDType dtype = ((StorageClass) pid.get(1)).dtype();
    String key = (String) pid.get(2);
    long numel = (Long) pid.get(4);
    ZipArchive.Entry entry = zip.entries().get(archive + "data/" + key);
    if (entry == null) {
      throw new ModelLoadException(file + ": storage '" + key + "' has no entry " + archive + "data/" + key);
    }
    if (numel < 0 || entry.size() != numel * dtype.itemSize()) {
      throw new ModelLoadException(file + ": storage '" + key + "' holds " + entry.size() + " bytes but "
          + numel + " " + dtype + " elements need " + numel * dtype.itemSize());
    }
    storages.computeIfAbsent(key, k -> LazyBytes.of(() -> zip.read(entry)));
    return new StorageRef(dtype, key, numel);
  }

  private static HostTensor toHostTensor(Path file, String name, TensorRef ref, Map<String, LazyBytes> storages) {
    long numel = HostTensor.numel(ref.size());
    if (numel > 0) {
      long last = ref.storageOffset();
      for (int d = 0; d < ref.size().length; d++) {
        last += (long) (ref.size()[d] - 1) * ref.stride()[d];
      }
      if (ref.storageOffset() < 0 || last >= ref.storage().numel()) {
        throw new ModelLoadException(file + ": tensor '" + name + "' (size " + Arrays.toString(ref.size())
            + ", stride " + Arrays.toString(ref.stride()) + ", offset " + ref.storageOffset()
            + ") reaches past its storage of " + ref.storage().numel() + " elements");
      }
    }
    return new HostTensor(name, ref.size(), ref.storage().dtype(), storages.get(ref.storage().key()),
        ref.storageOffset(), ref.stride());
  }
}
