package io.vicinity.kernels.cuda;

/** A block of device memory from the pool: {@code capacity} bytes (its size class), {@code bytes} asked for. */
record DeviceBuffer(DevicePtr ptr, long bytes, long capacity) {}
