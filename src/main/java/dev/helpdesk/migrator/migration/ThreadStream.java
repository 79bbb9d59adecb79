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
 * come out thread by thread (concatMapEager); what they hold read ahead is bounded by bytes
 * ({@link ReadAhead}), and every other stage holds at most a couple of pages, so memory stays
 * bounded whatever the account's size and the length of its threads.
 */
final class ThreadStream {
  /** Lists (one per source page) held per thread being read ahead. */
  private static final int PAGES_AHEAD = 2;

  private final DynamoSource source;
  private final Context context;
  private final int threadConcurrency;
  private final ReadAhead readAhead;
  /** the next unit's number, in stream order; assigned on the run's context as concatMapEager maps units */
  private long nextSeq;

  ThreadStream(DynamoSource source, Context context, int threadConcurrency, ReadAhead readAhead) {
    this.source = source;
    this.context = context;
    this.threadConcurrency = threadConcurrency;
    this.readAhead = readAhead;
  }

  /**
   * @param threadPages the phase's thread query, started at {@code resume.pageKey()}
   * @param skip threads another phase owns (tested on the raw item, so bad records are judged alike)
   */
  Flowable<Element> elements(Flowable<Page> threadPages, Position resume, Predicate<Map<String, AttributeValue>> skip) {
    return threadPages
        .concatMapIterable(page -> units(page, resume, skip), 1)
        .concatMapEager(this::expand, threadConcurrency, PAGES_AHEAD)
        .doOnNext(readAhead::passed)
        .concatMapIterable(ReadAhead.Chunk::elements, PAGES_AHEAD)
        .doFinally(readAhead::close);
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

  private Flowable<ReadAhead.Chunk> expand(Object unit) {
    long seq = nextSeq++;
    if (!(unit instanceof ThreadUnit t)) return Flowable.just(ReadAhead.marker(seq, (Element) unit));
    String threadId = t.thread().threadId();
    Map<String, AttributeValue> startKey = t.afterMessage() == null ? null
        : Map.of("threadId", AttributeValue.fromS(threadId), "messageId", AttributeValue.fromS(t.afterMessage()));
    ReadAhead.Reader reader = readAhead.reader(seq);
    return Flowable.concat(
        Flowable.just(ReadAhead.marker(seq, new Element.ThreadStart(t.thread()))),
        source.messages(context, threadId, startKey, page -> reader.arrived(messages(page)), reader),
        Flowable.just(ReadAhead.marker(seq, new Element.ThreadEnd(threadId))));
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
