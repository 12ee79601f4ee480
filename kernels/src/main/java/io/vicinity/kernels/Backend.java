package io.vicinity.kernels;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;

/**
 * The operator contract. Models are written against this interface only; the CPU backend
 * ({@code io.vicinity.kernels.cpu.CpuBackend}) and the CUDA backend implement it and must compute the
 * same function. Every operator returns a new tensor owned by the innermost open {@link Arena} of the
 * calling thread (or by the caller). Errors name the operator and print the actual shapes.
 *
 * <p>Layouts: activations are channels-last. Images and feature maps are [B, H, W, C]; token sequences are
 * [B, N, C]. Linear weights are [out, in] and convolution weights [out, in, kh, kw] (PyTorch's layouts).
 */
public interface Backend extends AutoCloseable {

  BackendKind kind();

  /** One line for logs: device name, compute dtype. */
  String describe();

  /**
   * True when tensors live in host memory (the CPU backend): work handed "to the device", such as the resample
   * of {@link #fromHostBytes(List, List, float[], int...)}, then runs on the calling thread.
   */
  default boolean isHost() {
    return false;
  }

  /** The dtype activations are computed in (float32 on the CPU; fp32, bf16 or fp16 on the GPU). */
  DType computeType();

  // ---- memory -------------------------------------------------------------------------------------

  /** Opens a named scope; tensors created by this thread until it closes are freed with it. */
  Arena openArena(String name);

  /** Copies host float32 data into a new tensor of the given shape (converted to the compute dtype). */
  Tensor fromHost(float[] data, int... shape);

  /**
   * Copies float32 values from direct (off-heap) buffers into a new tensor of the given shape (converted to
   * the compute dtype): the remaining bytes of each buffer, little-endian, concatenated in list order, must
   * hold exactly numel(shape) values. Positions are left unchanged. This is how batches of images that live
   * in Arrow vectors reach the device: the GPU backend copies them straight into its pinned staging buffer,
   * with no float[] on the Java heap in between.
   */
  Tensor fromHost(List<ByteBuffer> direct, int... shape);

  /**
   * Bytes from direct buffers (e.g. images' uint8 RGB values in Arrow vectors) -> a new tensor of the given
   * shape whose element i is {@code values[(i % C) * 256 + (byte i & 0xFF)]}, C = the last dimension (at most
   * 4): a per-channel map of byte values, which is exactly what an image processor's rescale and normalize
   * are, so images cross to the device as bytes, a quarter of their float32 size, and the values are those
   * the host's table gives. The remaining bytes of the buffers, concatenated in list order, must be exactly
   * numel(shape); positions are left unchanged.
   */
  Tensor fromHostBytes(List<ByteBuffer> direct, float[] values, int... shape);

  /**
   * As {@link #fromHostBytes(List, float[], int...)}, each image resampled first: the buffers' remaining bytes,
   * concatenated, are the images in order, image i {@code resamples.get(i).sourceBytes()} bytes (its
   * sourceHeight x sourceWidth x 3), and each becomes the region {@link ByteResample#apply} computes, then the
   * table's values; shape is [..., height, width, 3], the regions' common size, with one resample per image.
   * Images of any source sizes can share a call. On a GPU the decoded bytes cross PCIe and the resample
   * (Pillow's resize and a crop) runs on the device, so the host only decodes.
   */
  Tensor fromHostBytes(List<ByteBuffer> direct, List<ByteResample> resamples, float[] values, int... shape);

  /** {@link #fromHostBytes(List, List, float[], int...)} with one resample for every image (a clip's frames). */
  default Tensor fromHostBytes(List<ByteBuffer> direct, ByteResample resample, float[] values, int... shape) {
    Shapes.require(resample != null && shape.length >= 3, "fromHostBytes",
        "needs a resample and a shape [..., height, width, 3], got shape", shape);
    long pixels = (long) shape[shape.length - 3] * shape[shape.length - 2] * shape[shape.length - 1];
    return fromHostBytes(direct, Collections.nCopies((int) (Shapes.numel(shape) / Math.max(pixels, 1)), resample),
        values, shape);
  }

  /** The argument checks of the resampling {@link #fromHostBytes}; returns the source bytes of all images. */
  static long checkFromHostBytes(List<ByteBuffer> direct, List<ByteResample> resamples, float[] values,
      int... shape) {
    Shapes.require(direct != null && resamples != null && values != null && shape.length >= 3
        && shape[shape.length - 1] == ByteResample.CHANNELS, "fromHostBytes",
        "needs buffers, resamples, a value table and a shape [..., height, width, 3], got shape", shape);
    int height = shape[shape.length - 3];
    int width = shape[shape.length - 2];
    long images = Shapes.numel(shape) / ((long) height * width * ByteResample.CHANNELS);
    Shapes.require(resamples.size() == images, "fromHostBytes", resamples.size() + " resamples for the "
        + images + " images of", shape);
    long sources = 0;
    for (ByteResample r : resamples) {
      Shapes.require(r != null && r.height() == height && r.width() == width, "fromHostBytes",
          "a resample to " + (r == null ? "nothing" : r.width() + "x" + r.height()) + " x 3 among the images of",
          shape);
      sources += r.sourceBytes();
    }
    Shapes.require(values.length == ByteResample.CHANNELS * 256, "fromHostBytes",
        values.length + " table values (need 256 per channel) for the RGB images of", shape);
    long bytes = directBytes(direct, shape);
    Shapes.require(bytes == sources && bytes <= Integer.MAX_VALUE, "fromHostBytes", bytes + " bytes in "
        + direct.size() + " buffers for " + images + " images of " + sources + " source bytes (at most 2 GiB) into",
        shape);
    return bytes;
  }

  /** The argument checks {@link #fromHostBytes} makes on every backend; returns the number of bytes. */
  static long checkFromHostBytes(List<ByteBuffer> direct, float[] values, int... shape) {
    Shapes.require(direct != null && values != null && shape.length > 0, "fromHostBytes",
        "needs buffers, a value table and a shape, got shape", shape);
    int channels = shape[shape.length - 1];
    Shapes.require(channels >= 1 && channels <= 4 && values.length == channels * 256, "fromHostBytes",
        values.length + " table values for " + channels + " channels (need 256 per channel, 1..4 channels) of", shape);
    long bytes = directBytes(direct, shape);
    Shapes.require(bytes == Shapes.numel(shape), "fromHostBytes", bytes + " bytes in " + direct.size()
        + " buffers for the numel of", shape);
    return bytes;
  }

  /** The remaining bytes of direct buffers (all must be direct). */
  private static long directBytes(List<ByteBuffer> direct, int... shape) {
    long bytes = 0;
    for (ByteBuffer b : direct) {
      Shapes.require(b.isDirect(), "fromHostBytes", "needs direct buffers, got " + b + " for", shape);
      bytes += b.remaining();
    }
    return bytes;
  }

  /**
   * The host's form of {@link #fromHostBytes}'s map: the remaining bytes of {@code bytes} through the per-channel
   * table into {@code out} from index {@code at} (whose channel is {@code at % channels}); returns the next index.
   */
  static int mapBytes(ByteBuffer bytes, float[] values, int channels, float[] out, int at) {
    for (int i = bytes.position(); i < bytes.limit(); i++, at++) {
      out[at] = values[(at % channels) * 256 + (bytes.get(i) & 0xFF)];
    }
    return at;
  }

  /** {@link #fromHost(List, int...)} for one buffer. */
  default Tensor fromHost(ByteBuffer direct, int... shape) {
    return fromHost(List.of(direct), shape);
  }

  /** Copies a tensor back to the host as float32, row-major. */
  float[] toHost(Tensor t);

  // ---- operators ----------------------------------------------------------------------------------

  /** {@code x [..., in] -> [..., out]}: x W^T + bias, then the epilogue. bias may be null. */
  Tensor linear(Tensor x, Tensor weight, Tensor bias, Epilogue epilogue);

  /**
   * 2-D convolution, input [B, H, W, Cin] channels-last, weight [Cout, Cin, kh, kw], zero padding,
   * bias may be null. Output [B, Ho, Wo, Cout] with Ho = (H + 2 pad - kh) / stride + 1.
   */
  Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding);

  /** Layer norm over the last axis (biased variance, as torch). */
  Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps);

  /**
   * Fused 2-D neighborhood attention over a [B, H, W, 3C] tensor holding q, k, v (in that order,
   * each [heads, head_dim] packed) -> [B, H, W, C]. q is scaled by 1/sqrt(head_dim) inside; rpb is
   * [heads, 2k-1, 2k-1] or null.
   */
  Tensor neighborhoodAttention2d(Tensor qkv, Tensor rpb, NaParams params);

  /** Zero-pads a [B, H, W, C] map on the bottom and right. */
  Tensor pad2d(Tensor x, int padBottom, int padRight);

  /** Keeps the top-left [B, h, w, C] of a [B, H, W, C] map. */
  Tensor crop2d(Tensor x, int h, int w);

  /** Mean over every axis between the first and the last: [B, ..., C] -> [B, C]. */
  Tensor meanPool(Tensor x);

  /** Softmax over the last axis. */
  Tensor softmax(Tensor x);

  /** Element-wise activation. */
  Tensor activation(Tensor x, Activation act);

  /** Element-wise sum of two tensors of the same shape. */
  Tensor add(Tensor a, Tensor b);

  /** Bilinear resize of [B, H, W, C] (torch's interpolate, no antialias). */
  Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners);

  /**
   * Semantic-segmentation label maps, as Hugging Face's segmentation logits followed by
   * {@code post_process_semantic_segmentation(target_sizes)}: image i's class scores [h, w, C] of {@code scores}
   * [B, h, w, C] resized bilinearly (align_corners=False) to the network input [midH, midW], then to its own
   * [outH[i], outW[i]]; per pixel the arg-max class (the first on ties, NaN above every number, as
   * torch.argmax) and, when {@code withProbabilities}, that class's softmax probability. The resized scores are
   * never stored (at 512 x 512 with 150 classes they are 157 MB an image); only the maps reach the host.
   */
  ClassMaps classMaps(Tensor scores, int midH, int midW, int[] outH, int[] outW, boolean withProbabilities);

  /** Batch norm in eval mode over the last axis, optionally followed by ReLU. */
  Tensor batchNorm(
      Tensor x, Tensor mean, Tensor var, Tensor gamma, Tensor beta, float eps, boolean relu);

  /** Adaptive average pooling of [B, H, W, C] to [B, outH, outW, C] (torch's bin rule). */
  Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW);

  /** Concatenates tensors with equal leading axes along the last axis. */
  Tensor concatLast(Tensor... xs);

  // ---- video (default: unsupported, so a backend can add them later) ----------------------------

  /**
   * Multi-head self-attention over packed q, k, v: qkv [B, N, 3C] -> [B, N, C], each of q, k, v packed as
   * [heads, head_dim]. A qkv of higher rank such as [B, T, H, W, 3C] is read as N = T*H*W tokens in row-major
   * order and the output keeps its shape ([B, T, H, W, C]). Scores are q . k / sqrt(head_dim); each query's
   * softmax runs over exactly the keys {@code mask} allows (see {@link AttentionMask#allowed}).
   */
  default Tensor selfAttention(Tensor qkv, int heads, AttentionMask mask) {
    throw new UnsupportedOperationException(kind() + " backend does not implement selfAttention ("
        + (mask == null ? "no mask" : mask.getClass().getSimpleName()) + ") yet");
  }

  /**
   * 3-D convolution without padding (VideoMAE's tubelet embedding): input [B, T, H, W, Cin] channels-last,
   * weight [Cout, Cin, kt, kh, kw], bias [Cout] or null. Output [B, To, Ho, Wo, Cout] with
   * To = (T - kt) / strideT + 1 (likewise Ho, Wo).
   */
  default Tensor conv3d(Tensor x, Tensor weight, Tensor bias, int strideT, int strideH, int strideW) {
    throw new UnsupportedOperationException(kind() + " backend does not implement conv3d yet");
  }

  /** Frees everything this backend holds; idempotent. */
  @Override
  void close();
}
