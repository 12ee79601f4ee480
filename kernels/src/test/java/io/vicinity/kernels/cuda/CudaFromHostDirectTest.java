package io.vicinity.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cpu.ByteResampleTest;
import io.vicinity.kernels.cpu.CpuBackend;
import io.vicinity.kernels.cpu.FromHostDirectTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Off-heap buffers -> pinned staging -> device: bit-equal to fromHost(float[]) in every compute dtype, for parts
 * of odd sizes with a leading offset, and for uploads of several staging chunks (32 MiB; the two pinned buffers
 * take turns, one filling while the other's copy runs).
 */
class CudaFromHostDirectTest {

  private static ByteBuffer direct(float[] values, int from, int count, int pad) {
    ByteBuffer b = ByteBuffer.allocateDirect(pad + 4 * count).order(ByteOrder.LITTLE_ENDIAN);
    b.position(pad);
    for (int i = 0; i < count; i++) {
      b.putFloat(values[from + i]);
    }
    b.position(pad);
    return b;
  }

  /** Runs {@code body} on the backend of each compute dtype and checks that it leaves no device blocks behind. */
  private static void inEveryDtype(BiConsumer<DType, CudaBackend> body) {
    for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16}) {
      CudaBackend gpu = CudaTestSupport.gpu(t);
      long live = gpu.liveBytes();
      body.accept(t, gpu);
      assertEquals(live, gpu.liveBytes(), t + ": device blocks leaked");
    }
  }

  @Test
  void directPartsEqualTheHeapUploadInEveryDtype() {
    inEveryDtype((t, gpu) -> {
      Random rnd = new Random(11);
      int n = 3 * 17 * 19 * 3;
      float[] data = CudaTestSupport.random(rnd, n, 2.0);
      int cut = 1001; // not a multiple of an image: parts need not align with anything
      try (Arena a = gpu.openArena("direct-" + t)) {
        Tensor heap = gpu.fromHost(data, 3, 17, 19, 3);
        // an empty part in the middle: the parallel copy must step over it
        Tensor off = gpu.fromHost(List.of(direct(data, 0, cut, 5), direct(data, cut, 0, 3),
            direct(data, cut, n - cut, 0)), 3, 17, 19, 3);
        assertArrayEquals(gpu.toHost(heap), gpu.toHost(off), 0f, t.toString());
      }
    });
  }

  @Test
  void bytesThroughTheTableEqualTheHostLookupInEveryDtype() {
    inEveryDtype((t, gpu) -> {
      Random rnd = new Random(13);
      for (int channels = 1; channels <= 4; channels++) {
        byte[] bytes = new byte[3 * 17 * 19 * channels];
        rnd.nextBytes(bytes);
        float[] table = FromHostDirectTest.randomTable(rnd, channels);
        float[] expected = FromHostDirectTest.lookedUp(bytes, table, channels);
        int cut = bytes.length / 3 + 1; // a part may end inside a pixel; an empty part in the middle
        try (Arena a = gpu.openArena("bytes-" + t)) {
          Tensor want = gpu.fromHost(expected, 3, 17, 19, channels); // the same rounding to the dtype
          Tensor got = gpu.fromHostBytes(List.of(FromHostDirectTest.directBytes(bytes, 0, cut, 5),
              FromHostDirectTest.directBytes(bytes, cut, 0, 3),
              FromHostDirectTest.directBytes(bytes, cut, bytes.length - cut, 0)), table, 3, 17, 19, channels);
          assertArrayEquals(gpu.toHost(want), gpu.toHost(got), 0f, t + ", " + channels + " channels");
        }
      }
    });
  }

  /**
   * Decoded images resampled on the GPU give the CPU backend's values bit for bit (both are integer passes and
   * one table): random passes down, up and of equal size, regions inside and reaching outside the image, in
   * every dtype (the CPU values uploaded for the same rounding).
   */
  @Test
  void resampledBytesEqualTheCpuBackendInEveryDtype() {
    Random rnd = new Random(23);
    int[][] cases = { // source h, w; resized h, w; region top, left, h, w
        {37, 53, 20, 31, 2, 5, 16, 16}, {12, 9, 29, 40, -3, 4, 30, 40}, {24, 24, 24, 24, 0, 0, 24, 24},
        {31, 47, 14, 21, 0, -2, 16, 25}, {1, 5, 3, 2, 0, 0, 3, 2}};
    try (CpuBackend cpu = new CpuBackend(); Arena c = cpu.openArena("resample-cpu")) {
      for (int[] k : cases) {
        ByteResample plan = ByteResampleTest.randomPlan(rnd, k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]);
        int images = 3;
        byte[] sources = new byte[images * plan.sourceBytes()];
        rnd.nextBytes(sources);
        float[] table = FromHostDirectTest.randomTable(rnd, 3);
        int cut = plan.sourceBytes() + 5; // the second buffer starts inside the second image
        List<ByteBuffer> parts = List.of(FromHostDirectTest.directBytes(sources, 0, cut, 3),
            FromHostDirectTest.directBytes(sources, cut, sources.length - cut, 0));
        float[] expected = cpu.toHost(cpu.fromHostBytes(parts, plan, table, images, k[6], k[7], 3));
        inEveryDtype((t, gpu) -> {
          try (Arena a = gpu.openArena("resample-" + t)) {
            Tensor want = gpu.fromHost(expected, images, k[6], k[7], 3);
            Tensor got = gpu.fromHostBytes(parts, plan, table, images, k[6], k[7], 3);
            assertArrayEquals(gpu.toHost(want), gpu.toHost(got), 0f, t + ", case " + Arrays.toString(k));
          }
        });
      }
    }
  }

  /**
   * A batch of images of different source sizes, each with its own plan (one plan object used twice, an equal
   * but distinct one, a copy of an image resized beforehand), gives the CPU backend's values bit for bit.
   */
  @Test
  void imagesOfDifferentSizesInOneCallEqualTheCpuBackend() {
    Random rnd = new Random(29);
    ByteResample shared = ByteResampleTest.randomPlan(rnd, 37, 53, 20, 31, 2, 5, 16, 16);
    List<ByteResample> plans = List.of(shared, ByteResampleTest.randomPlan(rnd, 12, 9, 29, 40, -3, 4, 16, 16),
        ByteResample.crop(16, 16, 0, 0, 16, 16), shared,
        ByteResampleTest.randomPlan(rnd, 37, 53, 20, 31, 2, 5, 16, 16), ByteResample.crop(20, 18, 2, 1, 16, 16));
    byte[] sources = new byte[plans.stream().mapToInt(ByteResample::sourceBytes).sum()];
    rnd.nextBytes(sources);
    float[] table = FromHostDirectTest.randomTable(rnd, 3);
    int cut = plans.get(0).sourceBytes() + 11; // the second buffer starts inside the second image
    List<ByteBuffer> parts = List.of(FromHostDirectTest.directBytes(sources, 0, cut, 3),
        FromHostDirectTest.directBytes(sources, cut, sources.length - cut, 0));
    try (CpuBackend cpu = new CpuBackend(); Arena c = cpu.openArena("mixed-cpu")) {
      float[] expected = cpu.toHost(cpu.fromHostBytes(parts, plans, table, 2, 3, 16, 16, 3));
      inEveryDtype((t, gpu) -> {
        try (Arena a = gpu.openArena("mixed-" + t)) {
          Tensor want = gpu.fromHost(expected, 2, 3, 16, 16, 3);
          Tensor got = gpu.fromHostBytes(parts, plans, table, 2, 3, 16, 16, 3);
          assertArrayEquals(gpu.toHost(want), gpu.toHost(got), 0f, t.toString());
        }
      });
    }
  }

  @Test
  void bytesStraddlingStagingChunksLandInOrder() {
    CudaBackend gpu = CudaTestSupport.gpu(DType.F32);
    int n = 3 * ((128 << 20) / 3 + 12_345); // past four staging chunks (the table goes first, shifting every byte)
    byte[] bytes = new byte[n];
    new Random(17).nextBytes(bytes);
    float[] table = FromHostDirectTest.randomTable(new Random(19), 3);
    try (Arena arena = gpu.openArena("bytes-chunks")) {
      Tensor got = gpu.fromHostBytes(List.of(FromHostDirectTest.directBytes(bytes, 0, n / 2, 1),
          FromHostDirectTest.directBytes(bytes, n / 2, n - n / 2, 0)), table, n / 3, 3);
      assertArrayEquals(FromHostDirectTest.lookedUp(bytes, table, 3), gpu.toHost(got), 0f);
    }
  }

  @Test
  void partsStraddlingStagingChunksLandInOrder() {
    CudaBackend gpu = CudaTestSupport.gpu(DType.F32);
    int n = (128 << 20) / 4 + 12_345; // four chunks and a bit: chunks start inside parts
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = i; // exact in float32 below 2^24, and distinct enough to catch a shifted chunk
    }
    int a = n / 3;
    int b = n / 3 + 777;
    try (Arena arena = gpu.openArena("direct-chunks")) {
      Tensor off = gpu.fromHost(List.of(direct(data, 0, a, 0), direct(data, a, b, 3), direct(data, a + b, n - a - b, 0)), n);
      assertArrayEquals(data, gpu.toHost(off), 0f);
    }
  }
}
