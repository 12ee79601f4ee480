package io.vicinity.udfs.video;

import io.vicinity.kernels.AttentionMask;
import java.util.Arrays;

/**
 * How the encoder's self-attention is masked, per layer. {@link Mode#DENSE} reproduces the checkpoint;
 * {@link Mode#RADIAL} (docs/design/radial-attention.md) and {@link Mode#NEIGHBORHOOD_3D} trade exactness for
 * work on long clips. These are model settings, not performance knobs: they change the output.
 *
 * @param denseLayers radial only: the first this many layers stay dense
 * @param delta radial only: the window decay factor (1 by default)
 * @param sink radial only: every query also attends the whole first latent frame
 * @param kernel na3d only: odd kernel per axis (T, H, W)
 * @param dilation na3d only: dilation per axis (T, H, W)
 */
public record VideoAttention(Mode mode, int denseLayers, double delta, boolean sink, int[] kernel, int[] dilation) {

  public enum Mode {
    DENSE,
    RADIAL,
    NEIGHBORHOOD_3D
  }

  public static final VideoAttention DENSE = new VideoAttention(Mode.DENSE, 0, 1.0, false, null, null);

  public VideoAttention {
    if (mode == null) {
      throw new IllegalArgumentException("video attention: mode is null");
    }
    if (denseLayers < 0 || !(delta > 0) || Double.isInfinite(delta)) {
      throw new IllegalArgumentException("video attention: need dense_layers >= 0 and a finite delta > 0, got "
          + denseLayers + " and " + delta);
    }
    if (mode == Mode.NEIGHBORHOOD_3D && (kernel == null || dilation == null || kernel.length != 3
        || dilation.length != 3)) {
      throw new IllegalArgumentException("video attention: na3d needs a kernel and a dilation per axis (T, H, W),"
          + " got " + Arrays.toString(kernel) + " and " + Arrays.toString(dilation));
    }
    kernel = kernel == null ? null : kernel.clone();
    dilation = dilation == null ? null : dilation.clone();
  }

  /** Radial attention in every layer from {@code denseLayers} on. */
  public static VideoAttention radial(int denseLayers, double delta, boolean sink) {
    return new VideoAttention(Mode.RADIAL, denseLayers, delta, sink, null, null);
  }

  /** NATTEN's na3d in every layer, kernel and dilation per axis (T, H, W); no positional bias. */
  public static VideoAttention neighborhood3d(int[] kernel, int[] dilation) {
    return new VideoAttention(Mode.NEIGHBORHOOD_3D, 0, 1.0, false, kernel, dilation);
  }

  /** The mask of layer {@code layer} for a token grid of (frames, height, width) latent positions. */
  public AttentionMask maskFor(int layer, int frames, int height, int width) {
    switch (mode) {
      case RADIAL:
        return layer < denseLayers ? AttentionMask.Dense.INSTANCE
            : new AttentionMask.Radial(frames, height * width, delta, sink);
      case NEIGHBORHOOD_3D:
        return new AttentionMask.Neighborhood3d(frames, height, width, kernel[0], kernel[1], kernel[2],
            dilation[0], dilation[1], dilation[2]);
      default:
        return AttentionMask.Dense.INSTANCE;
    }
  }

  /** The fraction of (query, key) pairs computed, averaged over {@code layers} layers. */
  public double density(int layers, int frames, int height, int width) {
    double sum = 0;
    for (int i = 0; i < layers; i++) {
      sum += maskFor(i, frames, height, width).density();
    }
    return sum / layers;
  }

  @Override
  public String toString() {
    return switch (mode) {
      case DENSE -> "dense";
      case RADIAL -> "radial(dense_layers=" + denseLayers + ", delta=" + delta + ", sink=" + sink + ")";
      case NEIGHBORHOOD_3D -> "na3d(kernel=" + Arrays.toString(kernel) + ", dilation=" + Arrays.toString(dilation) + ")";
    };
  }
}
