package dev.helpdesk.migrator.migration;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How far a thread phase has committed: the thread page it is in (the encoded start key of that
 * page), the threads of that page already finished, and inside the thread being copied the last
 * message written. A resumed phase re-reads the page, skips the finished threads and restarts the
 * current one after its last written message, so nothing is lost and nothing read twice.
 *
 * @param complete true once the last page was committed (the phase only has its hand-over left)
 */
record Position(String pageKey, Set<String> done, String current, String afterMessage, boolean complete) {
  static final Position START = new Position(null, Set.of(), null, null, false);

  static Position from(JsonObject checkpoint) {
    JsonObject json = checkpoint == null ? null : checkpoint.getJsonObject("position");
    if (json == null) return START;
    Set<String> done = new LinkedHashSet<>();
    json.getJsonArray("done", new JsonArray()).forEach(id -> done.add((String) id));
    return new Position(json.getString("pageKey"), Set.copyOf(done), json.getString("current"),
        json.getString("afterMessage"), json.getBoolean("complete", false));
  }

  JsonObject toJson() {
    return new JsonObject().put("pageKey", pageKey).put("done", new JsonArray(List.copyOf(done)))
        .put("current", current).put("afterMessage", afterMessage).put("complete", complete);
  }

  /** Where the phase stands once this batch is committed. */
  Position after(List<Element> batch) {
    String page = pageKey;
    Set<String> finished = new LinkedHashSet<>(done);
    String cur = current;
    String after = afterMessage;
    boolean last = complete;
    for (Element e : batch) {
      if (e instanceof Element.ThreadStart s) {
        if (!s.thread().threadId().equals(cur)) {
          cur = s.thread().threadId();
          after = null;
        }
      } else if (e instanceof Element.Message m) {
        cur = m.threadId();
        after = m.messageId();
      } else if (e instanceof Element.ThreadEnd t) {
        finished.add(t.threadId());
        cur = null;
        after = null;
      } else if (e instanceof Element.BadThread b && b.threadId() != null) {
        finished.add(b.threadId());
      } else if (e instanceof Element.PageEnd p) {
        page = p.nextKey();
        finished.clear();
        cur = null;
        after = null;
        last = p.nextKey() == null;
      }
    }
    return new Position(page, Set.copyOf(finished), cur, after, last);
  }
}
