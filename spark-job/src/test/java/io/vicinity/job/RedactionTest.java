package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactionTest {
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

  @Test
  void secretKeysAreRedactedAndOthersKept() {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.hadoop.fs.s3a.secret.key", SECRET);
    conf.put("spark.hadoop.fs.s3a.access.key", "AKIAEXAMPLE");
    conf.put("spark.hadoop.fs.s3a.session.token", SECRET);
    conf.put("spark.hadoop.fs.s3a.bucket.images.secret.key", SECRET);
    conf.put("spark.hadoop.fs.s3a.encryption.key", SECRET);
    conf.put("spark.hadoop.fs.s3a.endpoint", "http://minio:9000");
    conf.put("spark.hadoop.fs.s3a.aws.credentials.provider",
        "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    conf.put("spark.executor.resource.gpu.amount", "1");
    Map<String, String> safe = Redaction.all(conf);
    for (String key : conf.keySet()) {
      boolean secret = key.contains("secret") || key.contains("access") || key.contains("token")
          || key.contains("encryption");
      assertEquals(secret ? Redaction.REDACTED : conf.get(key), safe.get(key), key);
    }
    assertFalse(safe.toString().contains(SECRET));
  }

  @Test
  void secretsInsideValuesAndUrisAreRemoved() {
    String opts = "-Xmx4g -Dspark.hadoop.fs.s3a.secret.key=" + SECRET + " -Dfoo=bar";
    String shown = Redaction.value("spark.driver.extraJavaOptions", opts);
    assertFalse(shown.contains(SECRET), shown);
    assertTrue(shown.contains("-Dfoo=bar") && shown.contains("-Xmx4g"), shown);

    assertEquals("s3a://bucket/images", Redaction.value("--input", "s3a://AKIAX:" + SECRET + "@bucket/images"));
    assertEquals("s3a://bucket/x", Redaction.uri("s3a://AKIAX:a/b+c@bucket/x"));
    assertEquals("/data/images", Redaction.uri("/data/images"));
    assertEquals("user@example.com", Redaction.uri("user@example.com"));
    assertEquals("s3a://bucket/img@2x.png", Redaction.uri("s3a://bucket/img@2x.png"));
    assertEquals("http://minio:9000/b/a@2x.png", Redaction.uri("http://minio:9000/b/a@2x.png"));
  }
}
