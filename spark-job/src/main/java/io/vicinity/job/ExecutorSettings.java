package io.vicinity.job;

import java.io.Serializable;

/**
 * What every executor-side partition function needs besides its task's own options, shipped with the
 * closure. Built once on the driver from the job's options.
 *
 * @param modelDir the model directory: an absolute local path, or a remote URI each executor copies
 *     ({@link ModelDirectory})
 * @param backend the --backend option; the device itself is chosen per executor ({@link GpuAssignment})
 * @param precision the GPU's activation dtype ("fp32" or "bf16")
 * @param batchSize most images per forward pass
 * @param batchBytes most preprocessed-pixel bytes per forward pass
 * @param queueBytes most preprocessed-pixel bytes waiting for the device, over all task threads
 * @param lingerMillis how long a forming batch waits for images from other task threads
 * @param maxImagePixels images whose header claims more pixels are refused before decoding
 * @param provenance model name, model hash and run id written into every row
 * @param counters the progress accumulators
 */
public record ExecutorSettings(
    String modelDir,
    JobOptions.Backend backend,
    String precision,
    int batchSize,
    long batchBytes,
    long queueBytes,
    int lingerMillis,
    long maxImagePixels,
    OutputSchema.Provenance provenance,
    Progress.Counters counters) implements Serializable {

  /** The shared batch queue's bounds from --batch-bytes, --queue-bytes and --batch-linger-ms. */
  ModelCache.QueueLimits queueLimits() {
    return new ModelCache.QueueLimits(batchBytes, queueBytes, lingerMillis);
  }
}
