package io.vicinity.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server on 127.0.0.1: S3Proxy over its filesystem blob store, run as a child JVM (its
 * Jetty and Guava stay off the Spark classpath). Objects go in and out through the S3 API; a bucket is
 * a folder under {@link #baseDir}, so output can be read back as local files. {@link #stop} and
 * {@link #start} keep the port and the data: a restart in the middle of a job looks like an outage.
 */
final class S3Server implements AutoCloseable {
  static final String ACCESS_KEY = "vicinity-it-access";
  static final String REGION = "us-east-1";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  /** Random per run, so finding it in a log means it leaked, not that a test constant was printed. */
  final String secretKey = "vicinity-it-secret-" + UUID.randomUUID();
  final Path baseDir;
  final int port;
  private final Path properties;
  private ChildJvm jvm;

  private S3Server(Path baseDir, int port, Path properties) {
    this.baseDir = baseDir;
    this.port = port;
    this.properties = properties;
  }

  /** Starts a server whose objects live under {@code baseDir}. */
  static S3Server start(Path baseDir) throws IOException {
    Files.createDirectories(baseDir);
    int port = ItEnv.freePort();
    S3Server server = new S3Server(baseDir, port, baseDir.resolveSibling(baseDir.getFileName() + ".properties"));
    Files.writeString(server.properties, String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + server.secretKey,
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + baseDir,
        ""));
    server.start();
    return server;
  }

  /** (Re)starts the server on the same port and data; returns once it accepts connections. */
  void start() {
    if (jvm != null && jvm.isAlive()) {
      throw new IllegalStateException("S3 server already running");
    }
    jvm = ChildJvm.start("s3proxy", List.of(
            ItEnv.java(), "-Xmx256m", "-jar", ItEnv.s3proxyJar().toString(),
            "--properties", properties.toString()),
        Map.of());
    jvm.awaitCondition("a listening port " + port, this::accepting, START_TIMEOUT);
  }

  /** Kills the server at once, as a crash would; the objects stay on disk. */
  void stop() {
    if (jvm != null) {
      jvm.kill();
    }
  }

  /** The folder holding a bucket's objects, for reading the job's output back. */
  Path bucketDir(String bucket) {
    return baseDir.resolve(bucket);
  }

  /**
   * A client of this server through the AWS SDK (from the bundle the tests have). Objects go in through
   * the S3 API, so they carry what S3A checks (ETag, length, modification time).
   */
  S3Client client() {
    return S3Client.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + port))
        .region(Region.of(REGION))
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(ACCESS_KEY, secretKey)))
        .build();
  }

  /** Uploads every file under {@code dir} as {@code prefix/relative path}; creates the bucket if needed. */
  void upload(Path dir, String bucket, String prefix) throws IOException {
    try (S3Client s3 = client(); var files = Files.walk(dir)) {
      if (!Files.isDirectory(bucketDir(bucket))) {
        s3.createBucket(b -> b.bucket(bucket));
      }
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        String key = prefix + "/" + dir.relativize(file).toString().replace('\\', '/');
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(file));
      }
    }
  }

  void delete(String bucket, String key) {
    try (S3Client s3 = client()) {
      s3.deleteObject(b -> b.bucket(bucket).key(key));
    }
  }

  /**
   * spark-submit --conf settings for S3A against this server: endpoint, path-style access, static
   * credentials, and retries generous enough to ride out a restart of a few seconds.
   */
  List<String> sparkConfs() {
    List<String> confs = new ArrayList<>();
    String prefix = "spark.hadoop.fs.s3a.";
    confs.add(prefix + "endpoint=http://127.0.0.1:" + port);
    confs.add(prefix + "endpoint.region=" + REGION);
    confs.add(prefix + "path.style.access=true");
    confs.add(prefix + "connection.ssl.enabled=false");
    confs.add(prefix + "aws.credentials.provider="
        + "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    confs.add(prefix + "access.key=" + ACCESS_KEY);
    confs.add(prefix + "secret.key=" + secretKey);
    confs.add(prefix + "connection.establish.timeout=15s");
    confs.add(prefix + "connection.timeout=15s");
    confs.add(prefix + "attempts.maximum=2");
    confs.add(prefix + "retry.limit=20");
    confs.add(prefix + "retry.interval=250ms");
    confs.add(prefix + "retry.throttle.limit=20");
    confs.add(prefix + "retry.throttle.interval=250ms");
    return confs;
  }

  private boolean accepting() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    stop();
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
