package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.support.TestService;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Watches an account like the app does, recording every status it sees (repeats collapsed) and
 * every progress object that breaks CONTRACT §3.5 (an unknown phase, a negative ETA, a counter
 * that went down within the run).
 */
final class StatusPoller implements AutoCloseable {
  static final List<String> ORDER = List.of("not_started", "migrating", "channels_only", "recent_messages_only", "completed");
  static final Set<String> PHASES = Set.of("channels", "recent_messages", "older_messages", "catch_up", "done");
  static final List<String> COUNTERS = List.of("threadsMigrated", "messagesMigrated", "attachmentsMigrated", "deadLetters");

  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final List<String> progressProblems = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  StatusPoller(TestService svc, String accountId) {
    thread = new Thread(() -> {
      JsonObject last = null;
      while (running) {
        try {
          JsonObject account = svc.http.get("/v1/accounts/" + accountId, TestService.ADMIN).json();
          String s = account.getString("migrationStatus");
          if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(s)) seen.add(s);
          JsonObject p = account.getJsonObject("progress");
          if (p != null) {
            check(p, last);
            last = p;
          }
        } catch (RuntimeException e) {
          // the service may be between a stop and a start
        }
        TestService.sleep(15);
      }
    }, "status-poller-" + accountId);
    thread.setDaemon(true);
    thread.start();
  }

  private void check(JsonObject p, JsonObject last) {
    if (!PHASES.contains(p.getString("phase"))) progressProblems.add("phase: " + p.encode());
    Long eta = p.getLong("etaSeconds");
    if (eta != null && eta < 0) progressProblems.add("negative eta: " + p.encode());
    if (last == null || !last.getString("startedAt").equals(p.getString("startedAt"))) return;
    for (String c : COUNTERS) {
      if (p.getLong(c, 0L) < last.getLong(c, 0L)) progressProblems.add(c + " went down: " + last.encode() + " -> " + p.encode());
    }
  }

  List<String> seen() {
    return new ArrayList<>(seen);
  }

  List<String> progressProblems() {
    return new ArrayList<>(progressProblems);
  }

  /** True when the statuses seen only ever moved forward in the contract's order. */
  boolean monotonic() {
    int last = -1;
    for (String s : seen) {
      int i = ORDER.indexOf(s);
      if (i < 0) return false;
      if (i < last) return false;
      last = i;
    }
    return true;
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
