package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.job.InputListing.InputFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputListingTest {
  @TempDir Path tmp;

  private final Configuration hadoopConf = new Configuration();

  private Path touch(String relative) throws IOException {
    Path file = tmp.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[] {1, 2, 3});
    return file;
  }

  @Test
  void findsImagesRecursivelyByExtensionIgnoringCase() throws IOException {
    for (String name : List.of("a.jpg", "b.JPEG", "c.png", "nested/deeper/d.Bmp", "nested/e.gif",
        "README.txt", "nested/notes.md", "no_extension", "archive.png.zip", ".hidden")) {
      touch(name);
    }
    String input = tmp.toString();
    InputListing listing = InputListing.list(input, hadoopConf);

    List<String> paths = listing.images().stream().map(InputFile::path).toList();
    assertEquals(List.of(input + "/a.jpg", input + "/b.JPEG", input + "/c.png",
        input + "/nested/deeper/d.Bmp", input + "/nested/e.gif"), paths);
    assertEquals(5, listing.skippedNonImages());
    assertEquals(10, listing.filesSeen());
  }

  @Test
  void locationIsAQualifiedUriOfTheSameFile() throws IOException {
    Path file = touch("sub/x.png");
    InputFile image = InputListing.list(tmp.toString() + "/", hadoopConf).images().get(0);
    assertEquals(tmp + "/sub/x.png", image.path(), "a trailing slash is not doubled");
    assertTrue(image.location().startsWith("file:"), image.location());
    assertEquals(file.toUri().getPath(), new org.apache.hadoop.fs.Path(image.location()).toUri().getPath());
  }

  @Test
  void aSingleFileIsItsOwnListing() throws IOException {
    Path image = touch("one.PNG");
    InputListing listing = InputListing.list(image.toString(), hadoopConf);
    assertEquals(List.of(image.toString()), listing.images().stream().map(InputFile::path).toList());
    assertEquals(0, listing.skippedNonImages());

    Path text = touch("one.txt");
    InputListing skipped = InputListing.list(text.toString(), hadoopConf);
    assertEquals(0, skipped.images().size());
    assertEquals(1, skipped.skippedNonImages());
  }

  @Test
  void emptyDirectoryHasNothing() throws IOException {
    InputListing listing = InputListing.list(tmp.toString(), hadoopConf);
    assertEquals(0, listing.filesSeen());
  }

  @Test
  void missingInputIsNamed() {
    String missing = tmp.resolve("nope").toString();
    InputNotFoundException e =
        assertThrows(InputNotFoundException.class, () -> InputListing.list(missing, hadoopConf));
    assertEquals("input not found: " + missing, e.getMessage());
  }

  @Test
  void relativeInputKeepsItsSpelling() throws IOException {
    touch("rel/r.jpg");
    Path cwd = Path.of("").toAbsolutePath();
    String relative = cwd.relativize(tmp.resolve("rel")).toString();
    InputFile image = InputListing.list(relative, hadoopConf).images().get(0);
    assertEquals(relative + "/r.jpg", image.path());
  }

  @Test
  void globMatchesNamesAtAnyDepthOrPathsUnderTheInput() throws IOException {
    for (String name : List.of("a.jpg", "b.png", "cams/2024-01/c.jpg", "cams/2024-02/d.png", "other/e.jpg")) {
      touch(name);
    }
    String input = tmp.toString();
    InputListing pngs = InputListing.list(input, "*.png", hadoopConf);
    assertEquals(List.of(input + "/b.png", input + "/cams/2024-02/d.png"),
        pngs.images().stream().map(InputFile::path).toList());
    assertEquals(3, pngs.skippedNonImages(), "files the glob rejects are counted as skipped");

    InputListing cams = InputListing.list(input, "cams/**.jpg", hadoopConf);
    assertEquals(List.of(input + "/cams/2024-01/c.jpg"), cams.images().stream().map(InputFile::path).toList());
    assertEquals(5, InputListing.list(input, null, hadoopConf).images().size());
  }

  @Test
  void listingCarriesModificationTimes() throws IOException {
    Path file = touch("m.jpg");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L));
    InputFile listed = InputListing.list(tmp.toString(), hadoopConf).images().get(0);
    assertEquals(1_700_000_000_000L, listed.modifiedMillis());
  }
}
