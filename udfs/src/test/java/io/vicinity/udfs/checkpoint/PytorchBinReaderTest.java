package io.vicinity.udfs.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.checkpoint.TorchArchive.TensorEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PytorchBinReaderTest {
  @TempDir Path tmp;

  /** Storage "0": six floats 0.5, 1.5, ...; storage "1": ten floats 0..9. */
  private static TorchArchive twoTensorArchive() {
    return new TorchArchive()
        .storage("0", f32(0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f))
        .storage("1", f32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))
        .tensor(new TensorEntry("encoder.weight", "0", "FloatStorage", 6, 0, new int[] {2, 3},
            new long[] {3, 1}, false))
        // A transposed view with a storage offset: element [i][j] = storage[3 + i + 2j].
        .tensor(new TensorEntry("encoder.view", "1", "FloatStorage", 10, 3, new int[] {2, 3},
            new long[] {1, 2}, false));
  }

  @Test
  void readsContiguousAndStridedTensors() throws IOException {
    Path file = tmp.resolve("pytorch_model.bin");
    twoTensorArchive().write(file);
    Map<String, HostTensor> tensors = PytorchBinReader.readTensors(file);

    assertEquals(List.of("encoder.weight", "encoder.view"), List.copyOf(tensors.keySet()));
    HostTensor weight = tensors.get("encoder.weight");
    assertArrayEquals(new int[] {2, 3}, weight.shape());
    assertEquals(HostDType.F32, weight.dtype());
    assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, weight.toFloats());
    HostTensor view = tensors.get("encoder.view");
    assertFalse(view.isContiguous());
    assertArrayEquals(new float[] {3, 5, 7, 4, 6, 8}, view.toFloats());
  }

  @Test
  void deflatedStoragesAreInflated() throws IOException {
    Path file = tmp.resolve("deflated.bin");
    twoTensorArchive().deflateStorages().write(file);
    assertArrayEquals(new float[] {3, 5, 7, 4, 6, 8}, PytorchBinReader.read(file).require("encoder.view").toFloats());
  }

  @Test
  void parametersHalfPrecisionAndIntegersAndSharedStorage() throws IOException {
    byte[] bf16 = {(byte) 0x80, 0x3f, 0x00, (byte) 0xc0, 0x49, 0x40}; // 1.0, -2.0, 3.140625
    byte[] longs = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(123456789012L).array();
    Path file = tmp.resolve("mixed.bin");
    new TorchArchive()
        .storage("5", bf16)
        .storage("7", longs)
        .tensor(new TensorEntry("p", "5", "BFloat16Storage", 3, 0, new int[] {3}, new long[] {1}, true))
        .tensor(new TensorEntry("tail", "5", "BFloat16Storage", 3, 1, new int[] {2}, new long[] {1}, false))
        .tensor(new TensorEntry("bn.num_batches_tracked", "7", "LongStorage", 1, 0, new int[] {}, new long[] {}, false))
        .write(file);
    StateDict d = PytorchBinReader.read(file);
    assertArrayEquals(new float[] {1, -2, 3.140625f}, d.require("p", 3).toFloats());
    assertArrayEquals(new float[] {-2, 3.140625f}, d.require("tail", 2).toFloats());
    assertArrayEquals(new long[] {123456789012L}, d.require("bn.num_batches_tracked").toLongs());
  }

  @Test
  void fourDimensionalTensorUsesMarkTuple() throws IOException {
    float[] values = new float[2 * 1 * 2 * 2];
    for (int i = 0; i < values.length; i++) {
      values[i] = i * 0.25f;
    }
    Path file = tmp.resolve("conv.bin");
    new TorchArchive()
        .storage("0", f32(values))
        .tensor(new TensorEntry("conv.weight", "0", "FloatStorage", 8, 0, new int[] {2, 1, 2, 2},
            new long[] {4, 4, 2, 1}, false))
        .write(file);
    assertArrayEquals(values, PytorchBinReader.read(file).require("conv.weight", 2, 1, 2, 2).toFloats());
  }

  // ---- refusals: nothing in a pickle ever runs ----

  @Test
  void osSystemIsRefusedAndNotRun() throws IOException {
    Path marker = tmp.resolve("pwned");
    byte[] pickle = new PickleWriter().proto(2)
        .global("os", "system").put()
        .unicode("touch " + marker).tuple(1).reduce().stop().toByteArray();
    ModelLoadException e = assertRefused(pickle);
    assertTrue(e.getMessage().contains("global 'os.system'"), e.getMessage());
    assertTrue(e.getMessage().contains("nothing was executed"), e.getMessage());
    assertFalse(Files.exists(marker));
  }

  @Test
  void builtinsEvalViaStackGlobalIsRefused() throws IOException {
    byte[] pickle = new PickleWriter().proto(2)
        .stackGlobal("builtins", "eval").unicode("1+1").tuple(1).reduce().stop().toByteArray();
    ModelLoadException e = assertRefused(pickle);
    assertTrue(e.getMessage().contains("global 'builtins.eval'"), e.getMessage());
  }

  @Test
  void globalsInsideAnOtherwiseValidStateDictAreRefused() throws IOException {
    // A real-looking state dict whose backward_hooks slot calls posix.system.
    byte[] pickle = new PickleWriter().proto(2)
        .global("collections", "OrderedDict").put().emptyTuple().reduce().put()
        .unicode("w").global("posix", "system").unicode("id").tuple(1).reduce().setitem()
        .stop().toByteArray();
    assertTrue(assertRefused(pickle).getMessage().contains("global 'posix.system'"));
    byte[] loadFromBytes = new PickleWriter().proto(2)
        .global("torch.storage", "_load_from_bytes").stop().toByteArray();
    assertTrue(assertRefused(loadFromBytes).getMessage().contains("global 'torch.storage._load_from_bytes'"));
  }

  @Test
  void unknownOpcodeIsRefused() throws IOException {
    byte[] pickle = new PickleWriter().proto(2).op('i').stop().toByteArray(); // INST
    assertTrue(assertRefused(pickle).getMessage().contains("unsupported pickle opcode 0x69"));
  }

  @Test
  void truncatedPickle() throws IOException {
    byte[] full = twoTensorArchive().statePickle();
    byte[] cut = java.util.Arrays.copyOf(full, full.length / 2);
    Path file = tmp.resolve("cut-pickle.bin");
    twoTensorArchive().pickle(cut).write(file);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> PytorchBinReader.read(file));
    assertTrue(e.getMessage().startsWith(file + ": archive/data.pkl: pickle "), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  // ---- structural problems ----

  @Test
  void bigEndianArchiveIsRefused() throws IOException {
    Path file = tmp.resolve("be.bin");
    twoTensorArchive().byteOrder("big").write(file);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> PytorchBinReader.read(file));
    assertTrue(e.getMessage().contains("byteorder is 'big'"), e.getMessage());
  }

  @Test
  void archiveWithoutByteorderEntryIsLittleEndian() throws IOException {
    Path file = tmp.resolve("old.bin");
    twoTensorArchive().byteOrder(null).write(file);
    assertEquals(2, PytorchBinReader.read(file).size());
  }

  @Test
  void missingStorageEntry() throws IOException {
    Path file = tmp.resolve("nostorage.bin");
    new TorchArchive()
        .tensor(new TensorEntry("w", "3", "FloatStorage", 2, 0, new int[] {2}, new long[] {1}, false))
        .write(file);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> PytorchBinReader.read(file));
    assertTrue(e.getMessage().contains("storage '3' has no entry archive/data/3"), e.getMessage());
  }

  @Test
  void viewReachingPastItsStorage() throws IOException {
    Path file = tmp.resolve("overrun.bin");
    new TorchArchive()
        .storage("0", f32(1, 2, 3, 4))
        .tensor(new TensorEntry("w", "0", "FloatStorage", 4, 2, new int[] {3}, new long[] {1}, false))
        .write(file);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> PytorchBinReader.read(file));
    assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("reaches past its storage of 4 elements"),
        e.getMessage());
  }

  @Test
  void storageSizeDisagreesWithPersistentId() throws IOException {
    Path file = tmp.resolve("short-storage.bin");
    new TorchArchive()
        .storage("0", f32(1, 2, 3))
        .tensor(new TensorEntry("w", "0", "FloatStorage", 4, 0, new int[] {4}, new long[] {1}, false))
        .write(file);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> PytorchBinReader.read(file));
    assertTrue(e.getMessage().contains("storage '0' holds 12 bytes but 4 F32 elements need 16"), e.getMessage());
  }

  @Test
  void legacyNonZipFormat() throws IOException {
    Path file = tmp.resolve("legacy.bin");
    Files.write(file, new byte[] {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a});
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> PytorchBinReader.read(file));
    assertTrue(e.getMessage().startsWith(file + ": PyTorch's legacy"), e.getMessage());
  }

  @Test
  void truncatedZip() throws IOException {
    Path file = tmp.resolve("cut.bin");
    twoTensorArchive().write(file);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 30));
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> PytorchBinReader.read(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
  }

  private ModelLoadException assertRefused(byte[] pickle) throws IOException {
    Path file = tmp.resolve("evil-" + System.nanoTime() + ".bin");
    new TorchArchive().pickle(pickle).write(file);
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> PytorchBinReader.read(file));
    assertTrue(e.getMessage().startsWith(file + ": archive/data.pkl: pickle "), e.getMessage());
    return e;
  }

  static byte[] f32(float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }
}
