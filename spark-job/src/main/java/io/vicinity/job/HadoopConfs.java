package io.vicinity.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * Hadoop configuration from Spark settings, the way Spark builds it: every {@code spark.hadoop.x=v}
 * becomes {@code x=v}. Lets the driver list inputs before a SparkSession exists and lets executors open
 * files with the same settings (s3a credentials, endpoints).
 */
final class HadoopConfs {
  private static final String PREFIX = "spark.hadoop.";

  private HadoopConfs() {}

  static Configuration from(SparkConf sparkConf) {
    Configuration hadoopConf = new Configuration();
    for (Tuple2<String, String> setting : sparkConf.getAll()) {
      if (setting._1().startsWith(PREFIX)) {
        hadoopConf.set(setting._1().substring(PREFIX.length()), setting._2());
      }
    }
    return hadoopConf;
  }
}
