package io.vicinity.udfs;

/** A class label with its softmax probability. */
public record ScoredLabel(String label, float score) {}
