package io.vicinity.udfs;

/** One encoded image as read from storage; {@code path} is echoed into the output row as given. */
public record ImageInput(String path, byte[] bytes) {}
