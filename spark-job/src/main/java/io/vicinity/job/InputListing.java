package io.vicinity.job;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The image files under an input path, found on the driver through Hadoop's FileSystem (so local paths,
 * hdfs:// and s3a:// all work). Files whose extension is not an image's are skipped and counted.
 *
 * @param images the images, sorted by path
 * @param skippedNonImages files that were not images by extension
 */
public record InputListing(List<InputFile> images, long skippedNonImages) {

  /** Extensions read as images, compared case-insensitively. */
  public static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

  /**
   * One image to process.
   *
   * @param path the path as the user wrote it (the input, plus the file's place under it): the output
   *     row's {@code path}
   * @param location the fully qualified URI the executors open
   */
  public record InputFile(String path, String location) {}

  public long filesSeen() {
    return images.size() + skippedNonImages;
  }

  /**
   * The input's status, or {@link InputNotFoundException}. One cheap call, so the job can reject a
   * mistyped path before it loads the model or walks a large bucket.
   */
  public static FileStatus requireExists(String input, Configuration hadoopConf) throws IOException {
    Path root = new Path(input);
    try {
      return root.getFileSystem(hadoopConf).getFileStatus(root);
    } catch (FileNotFoundException e) {
      throw new InputNotFoundException("input not found: " + input);
    }
  }

  /** Lists {@code input} (a file or a directory, recursively). */
  public static InputListing list(String input, Configuration hadoopConf) throws IOException {
    FileStatus rootStatus = requireExists(input, hadoopConf);
    FileSystem fs = rootStatus.getPath().getFileSystem(hadoopConf);
    if (rootStatus.isFile()) {
      return isImage(rootStatus.getPath())
          ? new InputListing(List.of(new InputFile(input, rootStatus.getPath().toString())), 0)
          : new InputListing(List.of(), 1);
    }

    String rootPath = rootStatus.getPath().toUri().getPath();
    String shownRoot = input.endsWith("/") ? input : input + "/";
    List<InputFile> images = new ArrayList<>();
    long skipped = 0;
    RemoteIterator<LocatedFileStatus> files = fs.listFiles(rootStatus.getPath(), true);
    while (files.hasNext()) {
      Path file = files.next().getPath();
      if (!isImage(file)) {
        skipped++;
        continue;
      }
      String relative = relativePath(rootPath, file.toUri().getPath());
      images.add(new InputFile(shownRoot + relative, file.toString()));
    }
    images.sort(Comparator.comparing(InputFile::path));
    return new InputListing(List.copyOf(images), skipped);
  }

  static boolean isImage(Path file) {
    String name = file.getName();
    int dot = name.lastIndexOf('.');
    return dot >= 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  private static String relativePath(String rootPath, String filePath) {
    String prefix = rootPath.endsWith("/") ? rootPath : rootPath + "/";
    if (!filePath.startsWith(prefix)) {
      throw new IllegalStateException("listed file " + filePath + " is not under " + rootPath);
    }
    return filePath.substring(prefix.length());
  }
}
