package io.vicinity.job;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The image files to process, found on the driver through Hadoop's FileSystem (so local paths, hdfs://
 * and s3a:// all work): a file, a directory searched recursively (optionally filtered by a glob), or a
 * manifest's list of paths. Files whose extension is not an image's, or that the glob does not match,
 * are skipped and counted.
 *
 * @param images the images, sorted by path
 * @param skippedNonImages files skipped: not an image by extension, or not matched by the glob
 */
public record InputListing(List<InputFile> images, long skippedNonImages) {

  /** Extensions read as images, compared case-insensitively. */
  public static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

  /** Extensions read as videos, compared case-insensitively. */
  public static final Set<String> VIDEO_EXTENSIONS = Set.of("mp4", "webm", "mkv", "mov", "avi");

  /** Images and videos: what the image tasks read (a video's sampled frames are images to them). */
  public static final Set<String> IMAGE_AND_VIDEO_EXTENSIONS = union(IMAGE_EXTENSIONS, VIDEO_EXTENSIONS);

  /** Modification time of an input that could not be looked up (a manifest entry that is missing). */
  public static final long UNKNOWN_MODIFIED = -1;

  /**
   * One image to process.
   *
   * @param path the path as the user wrote it (the input, plus the file's place under it; or the manifest
   *     entry): the output row's {@code path}
   * @param location the fully qualified URI the executors open
   * @param modifiedMillis the file's modification time, or {@link #UNKNOWN_MODIFIED}
   */
  public record InputFile(String path, String location, long modifiedMillis) {}

  public long filesSeen() {
    return images.size() + skippedNonImages;
  }

  /** This listing without the images {@code keep} rejects (incremental runs); skipped counts unchanged. */
  public InputListing retain(java.util.function.Predicate<InputFile> keep) {
    return new InputListing(images.stream().filter(keep).toList(), skippedNonImages);
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

  /** Lists {@code input} (a file or a directory, recursively), every image. */
  public static InputListing list(String input, Configuration hadoopConf) throws IOException {
    return list(input, null, hadoopConf);
  }

  /**
   * Lists {@code input} (a file or a directory, recursively); with a {@code glob}, only files it matches
   * (see {@link #globMatcher}).
   */
  public static InputListing list(String input, String glob, Configuration hadoopConf) throws IOException {
    return list(input, glob, IMAGE_EXTENSIONS, hadoopConf);
  }

  /** As {@link #list(String, String, Configuration)}, keeping files with one of {@code extensions}. */
  public static InputListing list(String input, String glob, Set<String> extensions, Configuration hadoopConf)
      throws IOException {
    FileStatus rootStatus = requireExists(input, hadoopConf);
    FileSystem fs = rootStatus.getPath().getFileSystem(hadoopConf);
    java.util.function.Predicate<String> matches = globMatcher(glob);
    if (rootStatus.isFile()) {
      return hasExtension(rootStatus.getPath(), extensions) && matches.test(rootStatus.getPath().getName())
          ? new InputListing(List.of(new InputFile(input, rootStatus.getPath().toString(),
              rootStatus.getModificationTime())), 0)
          : new InputListing(List.of(), 1);
    }

    String rootPath = rootStatus.getPath().toUri().getPath();
    String shownRoot = input.endsWith("/") ? input : input + "/";
    List<InputFile> images = new ArrayList<>();
    long skipped = 0;
    for (FileStatus status : filesUnder(fs, rootStatus.getPath())) {
      Path file = status.getPath();
      String relative = relativePath(rootPath, file.toUri().getPath());
      if (!hasExtension(file, extensions) || !matches.test(relative)) {
        skipped++;
        continue;
      }
      images.add(new InputFile(shownRoot + relative, file.toString(), status.getModificationTime()));
    }
    images.sort(Comparator.comparing(InputFile::path));
    return new InputListing(List.copyOf(images), skipped);
  }

  /**
   * Every file under {@code root}. The local file system is walked directory by directory: Hadoop's
   * recursive {@code listFiles} builds a LocatedFileStatus per file, which reads its permissions, and the
   * local file system does that by starting a {@code stat} process per file (about 2-3 ms each: 33 s for
   * 16k files). Object stores keep the recursive listing: one paged LIST for the whole prefix.
   */
  static List<FileStatus> filesUnder(FileSystem fs, Path root) throws IOException {
    List<FileStatus> files = new ArrayList<>();
    if (!"file".equals(fs.getScheme())) {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        files.add(it.next());
      }
      return files;
    }
    ArrayDeque<Path> directories = new ArrayDeque<>(List.of(root));
    while (!directories.isEmpty()) {
      RemoteIterator<FileStatus> it = fs.listStatusIterator(directories.pop());
      while (it.hasNext()) {
        FileStatus status = it.next();
        if (status.isDirectory()) {
          directories.push(status.getPath());
        } else {
          files.add(status);
        }
      }
    }
    return files;
  }

  /**
   * The images a manifest names, each looked up for its modification time (in parallel: on object
   * storage each lookup is a request). Relative entries are resolved against the manifest's directory.
   * An entry that does not exist stays in the listing, so it becomes an error row, not a silent gap.
   */
  public static InputListing fromManifest(String manifest, List<String> entries, Configuration hadoopConf)
      throws IOException {
    return fromManifest(manifest, entries, IMAGE_EXTENSIONS, hadoopConf);
  }

  /** As {@link #fromManifest(String, List, Configuration)}, keeping entries with one of {@code extensions}. */
  public static InputListing fromManifest(String manifest, List<String> entries, Set<String> extensions,
      Configuration hadoopConf) throws IOException {
    Path base = new Path(manifest).getParent();
    List<InputFile> images = new ArrayList<>();
    long skipped = 0;
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(32, entries.size())), r -> {
      Thread t = new Thread(r, "vicinity-manifest-stat");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<InputFile>> lookups = new ArrayList<>();
      for (String entry : entries) {
        Path file = new Path(entry);
        if (!hasExtension(file, extensions)) {
          skipped++;
          continue;
        }
        Path absolute = file.isAbsoluteAndSchemeAuthorityNull() || file.toUri().getScheme() != null
            ? file : new Path(base, file);
        lookups.add(pool.submit(() -> stat(entry, absolute, hadoopConf)));
      }
      for (Future<InputFile> lookup : lookups) {
        images.add(lookup.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while looking up manifest entries", e);
    } catch (ExecutionException e) {
      throw new IOException("cannot look up manifest entries of " + manifest + ": " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    images.sort(Comparator.comparing(InputFile::path));
    return new InputListing(List.copyOf(images), skipped);
  }

  private static InputFile stat(String shown, Path file, Configuration hadoopConf) throws IOException {
    FileSystem fs = file.getFileSystem(hadoopConf);
    Path qualified = fs.makeQualified(file);
    try {
      return new InputFile(shown, qualified.toString(), fs.getFileStatus(qualified).getModificationTime());
    } catch (FileNotFoundException e) {
      return new InputFile(shown, qualified.toString(), UNKNOWN_MODIFIED);
    }
  }

  /**
   * The glob as a test on a path relative to the input directory ({@code a/b.jpg}). A pattern without
   * '/' matches the file name at any depth ({@code *.png}); one with '/' matches the relative path
   * ({@code cams/**.jpg}: '*' stays within a directory, '**' crosses them). Null or empty: everything.
   */
  static java.util.function.Predicate<String> globMatcher(String glob) {
    if (glob == null || glob.isEmpty()) {
      return relative -> true;
    }
    PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
    boolean byName = !glob.contains("/");
    return relative -> {
      String target = byName ? relative.substring(relative.lastIndexOf('/') + 1) : relative;
      return matcher.matches(java.nio.file.Path.of(target));
    };
  }

  static boolean isImage(Path file) {
    return hasExtension(file, IMAGE_EXTENSIONS);
  }

  /** True when the name (a path or URI string) ends in a video extension, any case. */
  public static boolean isVideo(String name) {
    return VIDEO_EXTENSIONS.contains(extension(name));
  }

  static boolean hasExtension(Path file, Set<String> extensions) {
    return extensions.contains(extension(file.getName()));
  }

  private static String extension(String name) {
    int dot = name.lastIndexOf('.');
    return dot >= 0 && dot > name.lastIndexOf('/') ? name.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    java.util.Set<String> all = new java.util.HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }

  private static String relativePath(String rootPath, String filePath) {
    String prefix = rootPath.endsWith("/") ? rootPath : rootPath + "/";
    if (!filePath.startsWith(prefix)) {
      throw new IllegalStateException("listed file " + filePath + " is not under " + rootPath);
    }
    return filePath.substring(prefix.length());
  }
}
