package io.vicinity.udfs.testing;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Locates test fixtures on the test classpath (made by scripts/reference/ with Hugging Face's code). */
public final class Fixtures {
  private Fixtures() {}

  public static Path dir(String resource) {
    URL url = Fixtures.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IllegalStateException("test fixture '" + resource + "' is not on the test classpath");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
