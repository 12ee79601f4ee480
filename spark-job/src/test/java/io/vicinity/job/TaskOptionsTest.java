package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.video.decode.ClipSampling;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The segment and video options: parsing, defaults, and the combinations that are refused. */
class TaskOptionsTest {
  private static JobConfig parse(String task, String... extra) {
    List<String> args = new ArrayList<>(List.of("--input", "in", "--output", "out", "--model", "m", "--task", task));
    args.addAll(List.of(extra));
    return JobConfig.parse(args.toArray(String[]::new));
  }

  private static String refused(String task, String... extra) {
    return assertThrows(UsageException.class, () -> parse(task, extra)).getMessage();
  }

  @Test
  void tasksAndTheirDefaults() {
    assertEquals(JobOptions.Task.SEGMENT, parse("segment").get(JobOptions.TASK));
    JobConfig video = parse("VIDEO");
    assertEquals(JobOptions.Task.VIDEO, video.get(JobOptions.TASK));
    VideoPartition.VideoSettings v = VideoPartition.VideoSettings.from(video);
    assertEquals(new ClipSampling(0, 1, 0, 0, ClipSampling.Partial.PAD), v.sampling(), "the model's clip length");
    assertEquals("dense", v.videoAttention().toString());
    assertEquals(new VideoInputs.Frames(1, 0), VideoInputs.Frames.from(parse("classify")));
    assertEquals(InputListing.VIDEO_EXTENSIONS, JobTask.extensions(JobOptions.Task.VIDEO));
    assertTrue(JobTask.extensions(JobOptions.Task.SEGMENT).containsAll(List.of("png", "mp4", "avi")));
  }

  @Test
  void videoOptionsReachTheLibrarysRecords() {
    JobConfig c = parse("video", "--clip-frames", "16", "--frame-stride", "2", "--clip-stride=4",
        "--max-clips-per-video", "3", "--partial-clips", "drop", "--attention", "radial", "--dense-layers", "1",
        "--radial-decay", "0.5", "--radial-sink", "--top-k", "2");
    VideoPartition.VideoSettings v = VideoPartition.VideoSettings.from(c);
    assertEquals(new ClipSampling(16, 2, 4, 3, ClipSampling.Partial.DROP), v.sampling());
    assertEquals("radial(dense_layers=1, delta=0.5, sink=true)", v.videoAttention().toString());

    JobConfig na3d = parse("video", "--attention", "na3d", "--na3d-kernel", "3,5,5", "--na3d-dilation", "1,2,1");
    assertEquals("na3d(kernel=[3, 5, 5], dilation=[1, 2, 1])",
        VideoPartition.VideoSettings.from(na3d).videoAttention().toString());
    assertEquals("3,5,5", na3d.effectiveValues().get("--na3d-kernel"), "arrays readable in the summary");
    assertArrayEquals(new int[] {3, 3, 3}, parse("video", "--attention", "na3d").get(JobOptions.NA3D_KERNEL));

    assertEquals(new VideoInputs.Frames(5, 10),
        VideoInputs.Frames.from(parse("segment", "--frame-stride", "5", "--max-frames-per-video", "10")));
  }

  @Test
  void badValuesNameTheOption() {
    assertEquals("--frame-stride: expected an integer >= 1, got '0'", refused("video", "--frame-stride", "0"));
    assertEquals("--clip-frames: expected an integer >= 0, got '-8'", refused("video", "--clip-frames=-8"));
    assertTrue(refused("video", "--attention", "sparse").startsWith("--attention: expected one of dense|radial|na3d"));
    assertTrue(refused("video", "--partial-clips", "keep").contains("pad|drop"));
    assertTrue(refused("video", "--attention", "radial", "--radial-decay", "0").startsWith("--radial-decay"));
    assertTrue(refused("video", "--attention", "na3d", "--na3d-kernel", "3,4,3").contains("odd"));
    assertTrue(refused("video", "--attention", "na3d", "--na3d-kernel", "3,3").startsWith("--na3d-kernel"));
  }

  @Test
  void optionsOutsideTheirTaskOrModeAreRefused() {
    assertTrue(refused("segment", "--emit-logits").startsWith("--emit-logits applies to --task classify or video"));
    assertEquals("--mask-scores applies to --task segment only", refused("classify", "--mask-scores"));
    assertEquals("--clip-frames applies to --task video only", refused("classify", "--clip-frames", "8"));
    assertEquals("--attention applies to --task video only", refused("segment", "--attention", "dense"));
    assertTrue(refused("video", "--max-frames-per-video", "3").startsWith("--max-frames-per-video applies to"));
    assertEquals("--radial-sink applies to --attention radial only", refused("video", "--radial-sink"));
    assertEquals("--dense-layers applies to --attention radial only",
        refused("video", "--attention", "na3d", "--dense-layers", "2"));
    assertEquals("--na3d-kernel applies to --attention na3d only", refused("video", "--na3d-kernel", "3,3,3"));
    assertTrue(refused("segment", "--top-k", "3").startsWith("--top-k applies to"));
    // Allowed where they mean something:
    parse("segment", "--mask-scores", "--frame-stride", "2");
    parse("video", "--emit-logits", "--frame-stride", "2");
    parse("classify", "--emit-logits", "--max-frames-per-video", "4");
  }

  @Test
  void usageListsTheNewOptions() {
    String usage = JobOptions.usage("job");
    for (String key : List.of("--mask-scores", "--clip-frames N", "--partial-clips pad|drop",
        "--attention dense|radial|na3d", "--radial-decay X", "--na3d-kernel T,H,W", "--max-frames-per-video N")) {
      assertTrue(usage.contains(key), key + " in\n" + usage);
    }
    assertTrue(usage.contains("--task classify|segment|video"), usage);
  }
}
