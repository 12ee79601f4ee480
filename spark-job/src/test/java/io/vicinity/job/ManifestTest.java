package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.job.InputListing.InputFile;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {
  @TempDir Path tmp;

  private static List<String> parse(String csv, String column) throws IOException {
    return Manifest.parseCsv(new StringReader(csv), column, "m.csv");
  }

  @Test
  void readsThePathColumnWithQuotesCommasAndCrlf() throws IOException {
    String csv = "\uFEFFid,path,label\r\n"
        + "1,a.jpg,cat\r\n"
        + "2,\"dir, with comma/b.png\",\"dog \"\"big\"\"\"\r\n"
        + "3,,empty\r\n"
        + "4,\"multi\nline.jpg\",x\n"
        + "5,s3a://bucket/c.jpg,y";
    assertEquals(List.of("a.jpg", "dir, with comma/b.png", "multi\nline.jpg", "s3a://bucket/c.jpg"),
        parse(csv, "path"));
    assertEquals(List.of("cat", "dog \"big\"", "empty", "x", "y"), parse(csv, "label"));
  }

  @Test
  void missingColumnOrEmptyFileNamesTheProblem() {
    UsageException e = assertThrows(UsageException.class, () -> parse("file,label\na.jpg,x\n", "path"));
    assertTrue(e.getMessage().contains("no column 'path'") && e.getMessage().contains("--manifest-column"),
        e.getMessage());
    assertThrows(UsageException.class, () -> parse("", "path"));
  }

  @Test
  void entriesResolveAgainstTheManifestAndMissingOnesStayListed() throws IOException {
    Files.createDirectories(tmp.resolve("imgs"));
    Files.write(tmp.resolve("imgs/a.jpg"), new byte[] {1});
    Files.write(tmp.resolve("abs.png"), new byte[] {1});
    Path manifest = tmp.resolve("list.csv");
    Files.writeString(manifest, "path\nimgs/a.jpg\n" + tmp.resolve("abs.png") + "\nnotes.txt\ngone.jpg\n");
    Configuration conf = new Configuration();
    List<String> entries = Manifest.readCsv(manifest.toString(), "path", conf);
    InputListing listing = InputListing.fromManifest(manifest.toString(), entries, conf);

    assertEquals(1, listing.skippedNonImages(), "notes.txt");
    assertEquals(List.of(tmp.resolve("abs.png").toString(), "gone.jpg", "imgs/a.jpg"),
        listing.images().stream().map(InputFile::path).toList(), "paths as written, sorted");
    InputFile gone = listing.images().get(1);
    assertEquals(InputListing.UNKNOWN_MODIFIED, gone.modifiedMillis());
    assertTrue(gone.location().endsWith(tmp.resolve("gone.jpg").toString()), gone.location());
    InputFile a = listing.images().get(2);
    assertEquals(Files.getLastModifiedTime(tmp.resolve("imgs/a.jpg")).toMillis(), a.modifiedMillis());
  }
}
