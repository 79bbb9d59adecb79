package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.sink.DeadLetterSink;
import dev.helpdesk.migrator.sink.DeadLetterSink.DeadLetter;
import dev.helpdesk.migrator.sink.MessageSink;
import dev.helpdesk.migrator.sink.MessageSink.AttachmentRow;
import dev.helpdesk.migrator.source.AttachmentRef;
import dev.helpdesk.migrator.source.BadAttachment;
import dev.helpdesk.migrator.source.Decoded;
import dev.helpdesk.migrator.source.MessageItem;
import dev.helpdesk.migrator.source.ThreadItem;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One batch of elements sorted into the rows of each table. Keys are de-duplicated (the last
 * wins), because {@code ON CONFLICT DO UPDATE} refuses a statement that touches a row twice.
 */
final class BatchRows {
  final Map<String, ThreadItem> threads = new LinkedHashMap<>();
  final Map<String, MessageItem> messages = new LinkedHashMap<>();
  final Map<String, AttachmentRow> attachments = new LinkedHashMap<>();
  /** Bad records found while decoding, by {@link DeadLetter#id()}. */
  final Map<String, DeadLetter> bad = new LinkedHashMap<>();
  /** Threads whose migrated message count must be refreshed. */
  final Set<String> touchedThreads = new LinkedHashSet<>();
  /** Threads whose last message is in this batch. */
  final Set<String> endedThreads = new LinkedHashSet<>();

  BatchRows(List<Element> batch) {
    for (Element e : batch) {
      if (e instanceof Element.ThreadStart s) {
        threads.put(s.thread().threadId(), s.thread());
        touchedThreads.add(s.thread().threadId());
      } else if (e instanceof Element.BadThread b) {
        add(new DeadLetter("thread", DeadLetterSink.key(b.bad().sourceKey()),
            b.bad().reason() + "; its messages were not migrated"));
      } else if (e instanceof Element.Message m) {
        message(m);
      } else if (e instanceof Element.ThreadEnd t) {
        touchedThreads.add(t.threadId());
        endedThreads.add(t.threadId());
      }
    }
  }

  private void message(Element.Message m) {
    if (m.decoded() instanceof Decoded.Bad<MessageItem> b) {
      add(new DeadLetter("message", DeadLetterSink.key(b.sourceKey()), b.reason()));
      return;
    }
    MessageItem item = ((Decoded.Good<MessageItem>) m.decoded()).value();
    messages.put(MessageSink.key(item.threadId(), item.messageId()), item);
    touchedThreads.add(item.threadId());
    List<AttachmentRef> refs = item.attachments();
    for (int i = 0; i < refs.size(); i++) {
      AttachmentRef ref = refs.get(i);
      attachments.put(ref.attachmentId(), new AttachmentRow(item.threadId(), item.messageId(), i, ref));
    }
    for (BadAttachment a : item.badAttachments()) {
      add(new DeadLetter("attachment", attachmentKey(item.threadId(), item.messageId(), a), a.reason()));
    }
  }

  private void add(DeadLetter d) {
    bad.put(d.id(), d);
  }

  static String threadKey(ThreadItem t) {
    return DeadLetterSink.threadKey(t.accountId(), t.threadId());
  }

  static String messageKey(MessageItem m) {
    return DeadLetterSink.key(Map.of("threadId", m.threadId(), "messageId", m.messageId()));
  }

  static String attachmentKey(AttachmentRow a) {
    return DeadLetterSink.key(Map.of("threadId", a.threadId(), "messageId", a.messageId(),
        "attachmentId", a.ref().attachmentId()));
  }

  /** An entry without a usable id is named by its place in the message's list. */
  static String attachmentKey(String threadId, String messageId, BadAttachment a) {
    Map<String, Object> key = new LinkedHashMap<>();
    key.put("threadId", threadId);
    key.put("messageId", messageId);
    if (a.attachmentId() != null) key.put("attachmentId", a.attachmentId());
    else key.put("index", a.index());
    return DeadLetterSink.key(key);
  }

  /**
   * The dead letters this job may already have recorded for this batch: the bad records found in it,
   * and whatever the messages and attachments of {@code countedThreads} could have produced (those
   * threads' own letters are what made them counted). The rows of any other thread are new to the job,
   * and so are their dead letters.
   */
  List<DeadLetter> possibleDeadLetters(Set<String> countedThreads) {
    List<DeadLetter> all = new java.util.ArrayList<>(bad.values());
    if (countedThreads.isEmpty()) return all;
    messages.values().forEach(m -> {
      if (countedThreads.contains(m.threadId())) all.add(new DeadLetter("message", messageKey(m), ""));
    });
    attachments.values().forEach(a -> {
      if (countedThreads.contains(a.threadId())) all.add(new DeadLetter("attachment", attachmentKey(a), ""));
    });
    return all;
  }
}
