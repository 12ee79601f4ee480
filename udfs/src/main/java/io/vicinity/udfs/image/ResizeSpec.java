package io.vicinity.udfs.image;

/** The {@code size} entry of a preprocessor config, in Hugging Face's size-dict forms. */
public sealed interface ResizeSpec {

    /** {@code {"height": h, "width": w}}: resize to exactly this size. */
    record Exact(int height, int width) implements ResizeSpec {}

    /** {@code {"shortest_edge": s}}: shorter side to s, aspect ratio kept (truncating). */
    record ShortestEdge(int shortestEdge) implements ResizeSpec {}

    /** {@code {"shortest_edge": s, "longest_edge": l}}: as ShortestEdge, longer side at most l. */
    record ShortestAndLongestEdge(int shortestEdge, int longestEdge) implements ResizeSpec {}
}
