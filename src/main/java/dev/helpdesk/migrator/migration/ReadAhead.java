package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.source.AttachmentRef;
import dev.helpdesk.migrator.source.Decoded;
import dev.helpdesk.migrator.source.MessageItem;
import dev.helpdesk.migrator.source.RequestGate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one thread phase of one run holds read ahead, bounded by bytes ({@code MIGRATION_READ_AHEAD_BYTES}):
 * message pages arrived and not yet passed on to the batcher, plus an estimate for each page asked for
 * and not yet arrived. {@code MIGRATION_THREAD_CONCURRENCY} threads are read at once, so many short threads
 * overlap their round trips, while a few long threads (pages of up to 1 MB) cannot fill the heap.
 *
 * <p>A page request is admitted while the bytes held are under the budget, first come, first served;
 * the head, the thread whose messages are being passed on now, is always admitted: the budget may be
 * full of later threads' pages, which are only passed on after the head's. So the bytes held stay under
 * the budget plus the head's few pages plus one page of misestimate per request in flight.
 *
 * <p>Weights are estimates of the decoded messages (their strings' characters plus a fixed overhead),
 * not the wire's bytes. Used from the run's context (passing on) and the SDK's threads (arrivals).
 */
final class ReadAhead {
  /** Bytes read ahead by every run of this instance, now and at most, for /metrics. */
  static final class Totals {
    private final AtomicLong now = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();

    long now() {
      return now.get();
    }

    long peak() {
      return peak.get();
    }

    private void add(long delta) {
      long v = now.addAndGet(delta);
      if (delta > 0) peak.accumulateAndGet(v, Math::max);
    }
  }

  /** One thread's elements from one page (or a single start, end or bad thread) and what they weigh. */
  record Chunk(long seq, List<Element> elements, long weight) {}

  /** Per message: the record, its lists and its strings' headers, roughly. */
  private static final long MESSAGE_OVERHEAD = 256;
  /** The estimate for a page before any has arrived: DynamoDB's largest (1 MB), so a run starts cautious. */
  private static final long FIRST_ESTIMATE = 1024 * 1024;

  private final long budget;
  private final Totals totals;
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  /** arrived and not passed on, plus the estimates of requests in flight */
  private long held;
  /** the sequence number of the unit being passed on */
  private long head = -1;
  private long arrivedPages;
  private long arrivedBytes;
  /** the stream ended: what is left no longer counts in the totals */
  private boolean closed;

  ReadAhead(long budget, Totals totals) {
    this.budget = budget;
    this.totals = totals;
  }

  /** The admission of the message pages of the unit numbered {@code seq} (units are numbered in stream order). */
  Reader reader(long seq) {
    return new Reader(seq);
  }

  /** A chunk weighing nothing: a thread's start or end, a bad thread, a page end. */
  static Chunk marker(long seq, Element e) {
    return new Chunk(seq, List.of(e), 0);
  }

  /** The chunk left the read-ahead for the batcher: its unit is the head now, and its bytes are free. */
  void passed(Chunk chunk) {
    List<Runnable> granted;
    synchronized (this) {
      head = Math.max(head, chunk.seq());
      change(-chunk.weight());
      granted = admitWaiting();
    }
    granted.forEach(Runnable::run);
  }

  /** The stream ended (completed, failed or cancelled): pages dropped with it are not passed on. */
  void close() {
    synchronized (this) {
      if (closed) return;
      totals.add(-held);
      closed = true;
      waiters.clear();
    }
  }

  /** Under the lock. */
  private void change(long delta) {
    held += delta;
    if (!closed) totals.add(delta);
  }

  /** Under the lock: the waiters admitted now, in order (the head's always; others while under the budget). */
  private List<Runnable> admitWaiting() {
    List<Runnable> granted = new ArrayList<>();
    for (var it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      boolean isHead = w.reader.seq <= head;
      if (!isHead && held >= budget) continue;
      it.remove();
      w.reader.reserve();
      granted.add(w.grant);
    }
    return granted;
  }

  /** A thread's next page weighs about what its last did; a thread's first page, what the run's pages have. */
  private long estimate(long lastPage) {
    if (lastPage >= 0) return lastPage;
    return arrivedPages == 0 ? FIRST_ESTIMATE : arrivedBytes / arrivedPages;
  }

  static long weight(List<Element> elements) {
    long w = 0;
    for (Element e : elements) {
      if (e instanceof Element.Message m) w += weight(m);
    }
    return w;
  }

  private static long weight(Element.Message m) {
    long chars = len(m.threadId()) + len(m.messageId());
    if (m.decoded() instanceof Decoded.Good<MessageItem> good) {
      MessageItem i = good.value();
      chars += len(i.accountId()) + len(i.direction()) + len(i.authorJson()) + len(i.body()) + len(i.contentType())
          + len(i.telephonyJson()) + len(i.extraJson());
      for (AttachmentRef a : i.attachments()) {
        chars += len(a.attachmentId()) + len(a.url()) + len(a.fileName()) + len(a.contentType()) + 64;
      }
    }
    return MESSAGE_OVERHEAD + chars;
  }

  private static long len(String s) {
    return s == null ? 0 : s.length();
  }

  /** A request waiting for room; cancelled when its flow ends first. */
  private final class Waiter implements RequestGate.Waiting {
    private final Reader reader;
    private final Runnable grant;

    private Waiter(Reader reader, Runnable grant) {
      this.reader = reader;
      this.grant = grant;
    }

    @Override
    public void cancel() {
      synchronized (ReadAhead.this) {
        waiters.remove(this);
      }
    }
  }

  /** The admission of one thread's page requests; one request at a time (the gate sends no other before a page). */
  final class Reader implements RequestGate.Admission {
    private final long seq;
    /** the estimate held for the request in flight; 0 when none */
    private long reserved;
    /** the weight of this thread's last page; -1 before the first */
    private long lastPage = -1;

    private Reader(long seq) {
      this.seq = seq;
    }

    @Override
    public RequestGate.Waiting acquire(Runnable grant) {
      synchronized (ReadAhead.this) {
        if (seq > head && (held >= budget || !waiters.isEmpty())) {
          Waiter w = new Waiter(this, grant);
          waiters.add(w);
          return w;
        }
        reserve();
      }
      grant.run();
      return null;
    }

    /** Under the lock. */
    private void reserve() {
      reserved = estimate(lastPage);
      change(reserved);
    }

    /** The page arrived: its weight replaces the estimate. Runs on the SDK's thread. */
    Chunk arrived(List<Element> elements) {
      long w = weight(elements);
      List<Runnable> granted;
      synchronized (ReadAhead.this) {
        change(w - reserved);
        reserved = 0;
        lastPage = w;
        arrivedPages++;
        arrivedBytes += w;
        granted = admitWaiting(); // the page may weigh less than its estimate
      }
      granted.forEach(Runnable::run);
      return new Chunk(seq, elements, w);
    }

    @Override
    public void unanswered() {
      List<Runnable> granted;
      synchronized (ReadAhead.this) {
        change(-reserved);
        reserved = 0;
        granted = admitWaiting();
      }
      granted.forEach(Runnable::run);
    }
  }
}
