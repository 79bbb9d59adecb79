package dev.helpdesk.migrator.migration;

import dev.helpdesk.migrator.source.Decoded;
import dev.helpdesk.migrator.source.MessageItem;
import dev.helpdesk.migrator.source.ThreadItem;

/**
 * One step of a thread phase's stream, in source order: a thread, its messages, its end, and the
 * end of each thread page. The order is what lets a batch's checkpoint name an exact position.
 */
sealed interface Element {
  record ThreadStart(ThreadItem thread) implements Element {}

  /** A thread that is a bad record: its messages are not read. */
  record BadThread(String threadId, Decoded.Bad<ThreadItem> bad) implements Element {}

  /** {@code threadId}/{@code messageId} are the item's key attributes as read, even when the item is bad. */
  record Message(String threadId, String messageId, Decoded<MessageItem> decoded) implements Element {}

  record ThreadEnd(String threadId) implements Element {}

  /** @param nextKey the encoded start key of the next thread page; null after the last page */
  record PageEnd(String nextKey) implements Element {}
}
