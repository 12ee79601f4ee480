package io.vicinity.kernels;

/**
 * Shape parameters of a 2-D (dilated) neighborhood attention call; the rule is in
 * docs/design/neighborhood-attention.md. Performance knobs (tiles, schedules) are the backend's business.
 *
 * @param heads number of heads; the channel count C must be divisible by it
 * @param kernel odd window size per axis
 * @param dilation dilation per axis (>= 1); kernel * dilation must not exceed either axis length
 */
public record NaParams(int heads, int kernel, int dilation) {
  public NaParams {
    if (heads < 1 || kernel < 1 || kernel % 2 == 0 || dilation < 1) {
      throw new IllegalArgumentException(
          "neighborhood attention: need heads >= 1, odd kernel, dilation >= 1; got heads="
              + heads + " kernel=" + kernel + " dilation=" + dilation);
    }
  }
}
