package dev.helpdesk.loadtests.harness;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The file trees an invocation writes (each run's copied attachments, the disk ceiling D's files): emptied as
 * soon as each is done, so the disk holds one run's bytes at a time, but deleted only when the invocation ends.
 * On ext4 a file created within a minute or so of many deletions costs far more CPU: the inode allocator steps
 * over every recently freed inode (the kernel's {@code recently_deleted}: 5.9 % of the service's samples in a
 * profile of WHALE at scale 0.3). Measured on this machine: 20,000 files created with 0.34 s of CPU on a quiet
 * file system, with 3.82 s right after 20,000 others were deleted, 1.20 s when 30 s had passed. Deleting a run's
 * attachments just before the next run charged that run's service (and D) for it; an instance in production
 * never deletes its blobs en masse. An emptied file keeps its inode, so emptying costs the next run nothing of
 * the kind.
 */
final class Scratch {
  private final boolean keep;
  private final List<Path> trees = new ArrayList<>();

  /** @param keep {@code --keep-attachments}: nothing is emptied or removed */
  Scratch(boolean keep) {
    this.keep = keep;
  }

  /** Frees the tree's bytes now and removes its files when the invocation ends. */
  synchronized void done(Path tree) {
    if (keep) return;
    trees.add(tree);
    try (var walk = Files.walk(tree)) {
      walk.filter(Files::isRegularFile).forEach(Scratch::empty);
    } catch (IOException | RuntimeException ignored) {
      // best effort: removeAll tries again, and target/ is cleaned by mvn clean anyway
    }
  }

  synchronized void removeAll() {
    trees.forEach(Scratch::deleteTree);
    trees.clear();
  }

  private static void empty(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(0);
    } catch (IOException ignored) {
      // a file that cannot be emptied is removed with the rest at the end
    }
  }

  static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // best effort: target/ is cleaned by mvn clean anyway
    }
  }
}
