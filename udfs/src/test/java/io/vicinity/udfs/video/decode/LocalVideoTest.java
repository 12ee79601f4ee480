package io.vicinity.udfs.video.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local copies of remote videos: made through the job's VideoSource, removed afterwards, even on failure. */
class LocalVideoTest {
  @TempDir
  Path dir;

  @Test
  void s3aPathIsCopiedThroughTheSourceDecodedAndTheCopyRemoved() throws IOException {
    Path stored = TestVideos.write(dir, "stored", TestVideos.Kind.FFV1_MKV, TestVideos.noise(3, 16, 16, 1), 25);
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    List<String> asked = new ArrayList<>();
    // Stands in for the job's Hadoop FileSystem copy.
    VideoSource s3 = (path, target) -> {
      asked.add(path);
      Files.copy(stored, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    };
    Path copy;
    try (LocalVideo v = LocalVideo.fetch("s3a://bucket/videos/a.mkv", s3, tmp)) {
      copy = v.file();
      assertTrue(v.temporary());
      assertTrue(copy.startsWith(tmp));
      assertTrue(copy.getFileName().toString().endsWith(".mkv"), "keeps the extension: " + copy);
      assertEquals(3, VideoDecoder.readAll("s3a://bucket/videos/a.mkv", copy).size());
    }
    assertEquals(List.of("s3a://bucket/videos/a.mkv"), asked);
    assertFalse(Files.exists(copy));
    assertEquals(0, count(tmp));
  }

  @Test
  void localPathsAndFileUrisAreUsedInPlaceAndKept() {
    Path stored = TestVideos.write(dir, "here", TestVideos.Kind.FFV1_MKV, TestVideos.noise(2, 16, 16, 2), 25);
    VideoSource never = (p, t) -> {
      throw new AssertionError("no copy expected for " + p);
    };
    try (LocalVideo v = LocalVideo.fetch(stored.toString(), never, dir)) {
      assertEquals(stored, v.file());
      assertFalse(v.temporary());
    }
    try (LocalVideo v = LocalVideo.fetch(stored.toUri().toString(), never, dir)) {
      assertEquals(stored, v.file());
    }
    assertTrue(Files.exists(stored));
    assertNull(LocalVideo.localPath("s3a://b/k.mp4"));
    assertNull(LocalVideo.localPath("hdfs://nn:8020/k.mp4"));
  }

  @Test
  void aFailingCopyLeavesNoTemporaryFile() throws IOException {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    VideoSource broken = (p, t) -> {
      Files.write(t, new byte[10]);
      throw new IOException("connection reset");
    };
    UncheckedIOException e = assertThrows(UncheckedIOException.class,
        () -> LocalVideo.fetch("s3a://bucket/x.mp4", broken, tmp));
    assertTrue(e.getMessage().startsWith("s3a://bucket/x.mp4: ") && e.getMessage().contains("connection reset"),
        e.getMessage());
    assertEquals(0, count(tmp));
  }

  @Test
  void bytesAndStreamsGoThroughATemporaryFile() throws IOException {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    byte[] bytes = {1, 2, 3};
    Path a;
    try (LocalVideo v = LocalVideo.copyOf("s3a://b/clip.webm", bytes, tmp)) {
      a = v.file();
      assertArrayEquals(bytes, Files.readAllBytes(a));
      assertTrue(a.toString().endsWith(".webm"));
    }
    try (LocalVideo v = LocalVideo.copyOf("no-extension", new ByteArrayInputStream(bytes), tmp)) {
      assertArrayEquals(bytes, Files.readAllBytes(v.file()));
      v.close();
      assertThrows(IllegalStateException.class, v::file);
    }
    assertFalse(Files.exists(a));
    assertEquals(0, count(tmp));
  }

  private static long count(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.count();
    }
  }
}
