package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.job.InputListing.InputFile;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The small rules of a run: incremental filtering, the error budget, the progress line, the schema. */
class JobLogicTest {

  @Test
  void incrementalSkipsOnlyInputsWithTheSamePathAndModificationTime() {
    InputListing listing = new InputListing(List.of(
        new InputFile("in/a.jpg", "file:/in/a.jpg", 100),
        new InputFile("in/b.jpg", "file:/in/b.jpg", 200),
        new InputFile("in/c.jpg", "file:/in/c.jpg", 300),
        new InputFile("in/gone.jpg", "file:/in/gone.jpg", InputListing.UNKNOWN_MODIFIED)), 2);
    Set<Incremental.Done> done = Set.of(
        new Incremental.Done("in/a.jpg", 100), // unchanged: skip
        new Incremental.Done("in/b.jpg", 150), // rewritten since: process again
        new Incremental.Done("in/gone.jpg", InputListing.UNKNOWN_MODIFIED));
    InputListing pending = Incremental.pending(listing, done);
    assertEquals(List.of("in/b.jpg", "in/c.jpg", "in/gone.jpg"),
        pending.images().stream().map(InputFile::path).toList());
    assertEquals(2, pending.skippedNonImages(), "skipped counts carry over");
    assertEquals(listing, Incremental.pending(listing, Set.of()), "nothing done: everything pending");
  }

  @Test
  void errorBudget() {
    assertFalse(ErrorBudget.exceeded(0, 0, 0.0), "nothing processed");
    assertFalse(ErrorBudget.exceeded(1, 10, 0.1), "exactly at the limit is allowed");
    assertTrue(ErrorBudget.exceeded(2, 10, 0.1));
    assertTrue(ErrorBudget.exceeded(1, 1000, 0.0));
    assertFalse(ErrorBudget.exceeded(1000, 1000, 1.0));
    assertEquals("2 of 10 inputs failed (20.00%), above --max-error-rate 0.1", ErrorBudget.message(2, 10, 0.1));
  }

  @Test
  void progressLine() {
    assertEquals("progress: 120/1000 files (12.0%), 12.0 images/s, 3 errors", Progress.line(120, 1000, 3, 10.0));
    assertEquals("progress: 0/0 files (100.0%), 0.0 images/s, 0 errors", Progress.line(0, 0, 0, 0));
  }

  @Test
  void outcomeFromTheLibrarysMessages() {
    assertEquals(Outcome.OK, Outcome.ofError(null));
    assertEquals(Outcome.TOO_LARGE, Outcome.ofError(
        "x.png: image is 30000x30000 = 900 megapixels, above the limit of 178956970 pixels"));
    assertEquals(Outcome.INFERENCE_ERROR, Outcome.ofError("x.png: inference failed: boom"));
    assertEquals(Outcome.DECODE_ERROR, Outcome.ofError("x.png: truncated or corrupt PNG data"));
  }

  @Test
  void schemaIsVersionedAndEndsWithProvenance() {
    assertEquals(3, OutputSchema.VERSION, "bump deliberately, with README.md's schema tables");
    StructType schema = OutputSchema.of(false);
    assertEquals(List.of("path", "width", "height", "embedding", "top_k", "error", "frame_index", "timestamp_ms",
        "outcome", "input_modified", "model_name", "model_hash", "run_id", "schema_version"),
        List.of(schema.fieldNames()));
    assertEquals(DataTypes.TimestampType, schema.apply("input_modified").dataType());
    assertTrue(List.of(OutputSchema.of(true).fieldNames()).contains("logits"));
  }
}
