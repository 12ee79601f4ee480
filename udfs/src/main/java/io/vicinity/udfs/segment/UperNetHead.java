package io.vicinity.udfs.segment;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.nn.Conv2d;
import io.vicinity.udfs.nn.WeightLoader;
import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face's {@code UperNetHead} (keys under "decode_head."): a pyramid-pooling module on the coarsest
 * feature map, a feature pyramid over the others, and a 1x1 classifier at the finest level's resolution.
 * Every resize is bilinear with align_corners=False, as in HF.
 */
final class UperNetHead {
  private final int[] poolScales;
  private final List<ConvModule> pspConvs;
  private final ConvModule bottleneck;
  private final List<ConvModule> lateralConvs;
  private final List<ConvModule> fpnConvs;
  private final ConvModule fpnBottleneck;
  private final Conv2d classifier;

  /**
   * @param inChannels channels of each backbone feature map, finest first
   * @param channels the head's width (config hidden_size)
   */
  UperNetHead(WeightLoader w, int[] inChannels, int channels, int[] poolScales, int numLabels) {
    this.poolScales = poolScales.clone();
    int levels = inChannels.length;
    int top = inChannels[levels - 1];
    pspConvs = new ArrayList<>();
    for (int i = 0; i < poolScales.length; i++) {
      // psp_modules.<i> is a Sequential(AdaptiveAvgPool2d, ConvModule): the conv is its member "1".
      pspConvs.add(ConvModule.load(w, "psp_modules." + i + ".1", top, channels, 1));
    }
    bottleneck = ConvModule.load(w, "bottleneck", top + poolScales.length * channels, channels, 3);
    lateralConvs = new ArrayList<>();
    fpnConvs = new ArrayList<>();
    for (int i = 0; i < levels - 1; i++) {
      lateralConvs.add(ConvModule.load(w, "lateral_convs." + i, inChannels[i], channels, 1));
      fpnConvs.add(ConvModule.load(w, "fpn_convs." + i, channels, channels, 3));
    }
    fpnBottleneck = ConvModule.load(w, "fpn_bottleneck", levels * channels, channels, 3);
    classifier = Conv2d.load(w, "classifier", channels, numLabels, 1, 1, 0, true);
  }

  /** Feature maps [B, h_i, w_i, C_i], finest first -> logits [B, h_0, w_0, labels]. */
  Tensor forward(Backend b, List<Tensor> features) {
    int levels = features.size();
    List<Tensor> laterals = new ArrayList<>(levels);
    for (int i = 0; i < levels - 1; i++) {
      laterals.add(lateralConvs.get(i).apply(b, features.get(i)));
    }
    laterals.add(pyramidPooling(b, features.get(levels - 1)));

    // Top-down: each level gets the (upsampled) sum from the coarser one.
    for (int i = levels - 1; i > 0; i--) {
      Tensor finer = laterals.get(i - 1);
      laterals.set(i - 1, b.add(finer, resizeLike(b, laterals.get(i), finer)));
    }

    Tensor[] outs = new Tensor[levels];
    for (int i = 0; i < levels - 1; i++) {
      outs[i] = fpnConvs.get(i).apply(b, laterals.get(i));
    }
    outs[levels - 1] = laterals.get(levels - 1);
    for (int i = levels - 1; i > 0; i--) {
      outs[i] = resizeLike(b, outs[i], outs[0]);
    }
    return classifier.apply(b, fpnBottleneck.apply(b, b.concatLast(outs)));
  }

  /** PSP: the map itself next to its average-pooled, convolved and re-upsampled versions. */
  private Tensor pyramidPooling(Backend b, Tensor x) {
    Tensor[] parts = new Tensor[poolScales.length + 1];
    parts[0] = x;
    for (int i = 0; i < poolScales.length; i++) {
      Tensor pooled = b.adaptiveAvgPool2d(x, poolScales[i], poolScales[i]);
      parts[i + 1] = b.resizeBilinear(pspConvs.get(i).apply(b, pooled), x.dim(1), x.dim(2), false);
    }
    return bottleneck.apply(b, b.concatLast(parts));
  }

  /** {@code x} resized to the height and width of {@code like} (a no-op when they already match). */
  private static Tensor resizeLike(Backend b, Tensor x, Tensor like) {
    if (x.dim(1) == like.dim(1) && x.dim(2) == like.dim(2)) {
      return x;
    }
    return b.resizeBilinear(x, like.dim(1), like.dim(2), false);
  }
}
