package io.vicinity.udfs.segment;

import java.util.Arrays;

/**
 * Class scores of a batch at the head's resolution, on the host, channels-last [batch, height, width,
 * classes], with the size of the network input they belong to (HF's logits are these upsampled to it).
 */
public record SegmentationLogits(float[] data, int batch, int height, int width, int classes, int inputHeight,
    int inputWidth) {

  public SegmentationLogits {
    if ((long) batch * height * width * classes != data.length) {
      throw new IllegalArgumentException("logits of length " + data.length + " are not [" + batch + ", "
          + height + ", " + width + ", " + classes + "]");
    }
  }

  /** Image {@code i}'s [height, width, classes] scores. */
  public float[] image(int i) {
    int per = height * width * classes;
    return Arrays.copyOfRange(data, i * per, (i + 1) * per);
  }

  /**
   * Image {@code i}'s scores upsampled to the network input, [inputHeight, inputWidth, classes]: the
   * {@code logits} of Hugging Face's {@code UperNetForSemanticSegmentation} (bilinear, align_corners=False).
   */
  public float[] atInputSize(int i) {
    return BilinearResize.resize(image(i), height, width, classes, inputHeight, inputWidth);
  }
}
