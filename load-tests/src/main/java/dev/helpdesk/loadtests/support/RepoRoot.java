package dev.helpdesk.loadtests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Locates the project root so helpers work from the root, from load-tests/ or from an IDE module dir. */
public final class RepoRoot {
  private RepoRoot() {}

  /** The nearest directory at or above the working directory holding package.json (the dev-tools manifest). */
  public static Optional<Path> find() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("package.json")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return Optional.of(p);
      }
    }
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("package.json"))) return Optional.of(p);
    }
    return Optional.empty();
  }

  /** {@code <root>/target/<name>} when the root is known, else a directory under java.io.tmpdir. */
  public static Path targetDir(String name) {
    Path base = find().map(r -> r.resolve("target"))
        .orElse(Path.of(System.getProperty("java.io.tmpdir"), "helpdesk-loadtests"));
    Path dir = base.resolve(name);
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
