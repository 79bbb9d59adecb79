package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.source.Decoded;
import dev.helpdesk.migrator.source.DynamoSource;
import dev.helpdesk.migrator.source.Page;
import dev.helpdesk.migrator.source.ThreadItem;
import io.reactivex.rxjava3.core.Flowable;
import io.vertx.core.Context;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Turns thread pages into the ordered element stream of a phase: every thread followed by all
 * its messages. The messages of up to {@code threadConcurrency} threads are read at once, yet
 * come out thread by thread (concatMapEager), and every stage holds at most a couple of pages,
 * so memory stays bounded whatever the account's size.
 */
final class ThreadStream {
  /** Lists (one per source page) held per thread being read ahead. */
  private static final int PAGES_AHEAD = 2;

  private final DynamoSource source;
  private final Context context;
  private final int threadConcurrency;

  ThreadStream(DynamoSource source, Context context, int threadConcurrency) {
    this.source = source;
    this.context = context;
    this.threadConcurrency = threadConcurrency;
  }

  /**
   * @param threadPages the phase's thread query, started at {@code resume.pageKey()}
   * @param skip threads another phase owns (tested on the raw item, so bad records are judged alike)
   */
  Flowable<Element> elements(Flowable<Page> threadPages, Position resume, Predicate<Map<String, AttributeValue>> skip) {
    return threadPages
        .concatMapIterable(page -> units(page, resume, skip), 1)
        .concatMapEager(this::expand, threadConcurrency, PAGES_AHEAD)
        .concatMapIterable(list -> list, PAGES_AHEAD);
  }

  /** A good thread to copy; {@code afterMessage} is where a resumed copy restarts. */
  private record ThreadUnit(ThreadItem thread, String afterMessage) {}

  private List<Object> units(Page page, Position resume, Predicate<Map<String, AttributeValue>> skip) {
    List<Object> units = new ArrayList<>(page.items().size() + 1);
    for (Map<String, AttributeValue> item : page.items()) {
      String threadId = s(item, "threadId");
      if (skip.test(item) || (threadId != null && resume.done().contains(threadId))) continue;
      Decoded<ThreadItem> decoded = Decoded.thread(item);
      if (decoded instanceof Decoded.Good<ThreadItem> good) {
        String after = threadId != null && threadId.equals(resume.current()) ? resume.afterMessage() : null;
        units.add(new ThreadUnit(good.value(), after));
      } else {
        units.add(new Element.BadThread(threadId, (Decoded.Bad<ThreadItem>) decoded));
      }
    }
    units.add(new Element.PageEnd(DynamoSource.encodeKey(page.lastEvaluatedKey())));
    return units;
  }

  private Flowable<List<Element>> expand(Object unit) {
    if (!(unit instanceof ThreadUnit t)) return Flowable.just(List.of((Element) unit));
    String threadId = t.thread().threadId();
    Map<String, AttributeValue> startKey = t.afterMessage() == null ? null
        : Map.of("threadId", AttributeValue.fromS(threadId), "messageId", AttributeValue.fromS(t.afterMessage()));
    return Flowable.concat(
        Flowable.just(List.<Element>of(new Element.ThreadStart(t.thread()))),
        source.messages(context, threadId, startKey, ThreadStream::messages),
        Flowable.just(List.<Element>of(new Element.ThreadEnd(threadId))));
  }

  private static List<Element> messages(Page page) {
    List<Element> out = new ArrayList<>(page.items().size());
    for (Map<String, AttributeValue> item : page.items()) {
      out.add(new Element.Message(s(item, "threadId"), s(item, "messageId"), Decoded.message(item)));
    }
    return out;
  }

  static String s(Map<String, AttributeValue> item, String name) {
    AttributeValue v = item.get(name);
    return v == null ? null : v.s();
  }
}
