package io.vicinity.job;

import io.vicinity.udfs.ModelLoadException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * --model as a directory on this machine. A local path is used in place (absolute, so every executor
 * resolves the same directory). Any other Hadoop URI ({@code s3a://}, {@code hdfs://}, ...) is copied once
 * per machine into the JVM's temp directory, under a folder named from the URI and the remote files' names,
 * sizes and modification times: an unchanged checkpoint is reused by later tasks, stages and runs, a
 * changed one is copied again. The copy is written aside and renamed into place, so a reader never sees a
 * half-copied model, also when several executors on one machine copy at once.
 */
final class ModelDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(ModelDirectory.class);
  private static final Object COPYING = new Object();

  private ModelDirectory() {}

  /** True for a URI with a scheme other than {@code file}: the model is copied before loading. */
  static boolean isRemote(String model) {
    String scheme = new org.apache.hadoop.fs.Path(model).toUri().getScheme();
    return scheme != null && !scheme.equals("file");
  }

  /** The --model value executors receive: the URI as given when remote, else the absolute local path. */
  static String forExecutors(String model) {
    return isRemote(model) ? model : localPath(model).toString();
  }

  /** As {@link #local(String, Configuration)} with the Hadoop settings Spark gives this JVM (spark.hadoop.*). */
  static Path local(String model) {
    SparkEnv env = SparkEnv.get();
    return local(model, HadoopConfs.from(env != null ? env.conf() : new SparkConf()));
  }

  /** The model directory on this machine; a remote one is copied first (see the class comment). */
  static Path local(String model, Configuration hadoopConf) {
    if (!isRemote(model)) {
      return localPath(model);
    }
    try {
      return copy(new org.apache.hadoop.fs.Path(model), hadoopConf);
    } catch (FileNotFoundException e) {
      throw new ModelLoadException("model directory not found: " + model);
    } catch (IOException e) {
      throw new ModelLoadException("cannot copy the model directory " + model + ": " + e, e);
    }
  }

  /** A local --model ({@code file:} URI or plain path) as an absolute path. */
  private static Path localPath(String model) {
    String path = model.startsWith("file:") ? URI.create(model).getPath() : model;
    return Path.of(path).toAbsolutePath().normalize();
  }

  private static Path copy(org.apache.hadoop.fs.Path remote, Configuration hadoopConf) throws IOException {
    FileSystem fs = remote.getFileSystem(hadoopConf);
    if (!fs.getFileStatus(remote).isDirectory()) {
      throw new ModelLoadException("--model must be a directory, got the file " + remote);
    }
    // Hugging Face model directories are flat: config.json, weights, preprocessor_config.json.
    List<FileStatus> files = Arrays.stream(fs.listStatus(remote)).filter(FileStatus::isFile)
        .sorted(Comparator.comparing(f -> f.getPath().getName())).toList();
    // The copy keeps the remote directory's name: rows carry it as the model's name.
    Path target = Path.of(System.getProperty("java.io.tmpdir"), "vicinity-models", version(remote, files),
        remote.getName());
    synchronized (COPYING) {
      if (Files.isDirectory(target)) {
        return target;
      }
      Files.createDirectories(target.getParent());
      Path partial = Files.createTempDirectory(target.getParent(), "partial-");
      long bytes = 0;
      try {
        for (FileStatus file : files) {
          try (InputStream in = fs.open(file.getPath())) {
            bytes += Files.copy(in, partial.resolve(file.getPath().getName()));
          }
        }
      } catch (IOException | RuntimeException e) {
        try {
          deleteTree(partial); // a failed copy leaves nothing behind in the temp directory
        } catch (IOException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
      try {
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        LOG.info("Copied model {} ({} files, {} bytes) to {}", remote, files.size(), bytes, target);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        deleteTree(partial); // another JVM on this machine finished first: same files
      }
      return target;
    }
  }

  /** Names the remote directory's state: URI, and each file's name, size and modification time. */
  private static String version(org.apache.hadoop.fs.Path remote, List<FileStatus> files) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e);
    }
    sha.update(remote.toUri().toString().getBytes(StandardCharsets.UTF_8));
    for (FileStatus file : files) {
      String entry = "\n" + file.getPath().getName() + "\t" + file.getLen() + "\t" + file.getModificationTime();
      sha.update(entry.getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(sha.digest(), 0, 8);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
