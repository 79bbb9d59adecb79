package dev.helpdesk.loadtests.data;

import java.util.List;
import java.util.Map;

/**
 * What {@link DataGenerator#seed} wrote and what a correct migration must produce from it.
 *
 * <p>Per account: {@code goodThreads + badThreads = threadsWritten};
 * {@code goodMessages + badMessages + messagesOfBadThreads = messagesWritten} (a bad thread's
 * messages are not migrated and are not dead letters of their own); {@code goodAttachments +
 * badAttachments = attachmentsWritten} (planted bad messages and bad threads' messages carry no
 * attachments). "Good" attachments are the ones the media service serves with 200.
 */
public record SeedSummary(String profile, long seed, long nowMs, Map<String, AccountSummary> accounts) {

  public AccountSummary account(String accountId) {
    AccountSummary a = accounts.get(accountId);
    if (a == null) throw new IllegalArgumentException("account not seeded: " + accountId);
    return a;
  }

  public long totalThreads() {
    return accounts.values().stream().mapToLong(AccountSummary::threadsWritten).sum();
  }

  public long totalMessages() {
    return accounts.values().stream().mapToLong(AccountSummary::messagesWritten).sum();
  }

  public long totalAttachments() {
    return accounts.values().stream().mapToLong(AccountSummary::attachmentsWritten).sum();
  }

  public record AccountSummary(
      String accountId,
      int threadsWritten,
      long messagesWritten,
      long attachmentsWritten,
      int goodThreads,
      long goodMessages,
      long goodAttachments,
      long messagesOfBadThreads,
      List<BadRecord> badRecords,
      List<ThreadOutcome> threads) {

    /** What migration-check reports: every thread item in the table, good or bad. */
    public int threadCount() {
      return threadsWritten;
    }

    /** @param kind "thread", "message" or "attachment" */
    public List<BadRecord> badRecords(String kind) {
      return badRecords.stream().filter(b -> b.kind().equals(kind)).toList();
    }

    /** Good threads whose lastMessageAt is at or after the cutoff: what a "recent" phase migrates. */
    public long goodThreadsSince(long cutoffMs) {
      return threads.stream().filter(t -> t.good() && t.lastMessageAt() >= cutoffMs).count();
    }

    public long goodMessagesInThreadsSince(long cutoffMs) {
      return threads.stream().filter(t -> t.good() && t.lastMessageAt() >= cutoffMs)
          .mapToLong(ThreadOutcome::goodMessages).sum();
    }
  }

  /**
   * A planted bad record. {@code sourceKey}: {accountId, threadId} for a thread, {threadId,
   * messageId} for a message, {threadId, messageId, attachmentId} for an attachment.
   *
   * @param transientFailure true when the service should retry before dead-lettering (media 5xx)
   */
  public record BadRecord(String kind, Map<String, String> sourceKey, String reason, boolean transientFailure) {}

  /**
   * One thread as written. {@code lastMessageAt} is the intended time even when the item lacks the
   * attribute. For a bad thread goodMessages and goodAttachments are 0.
   */
  public record ThreadOutcome(String threadId, long lastMessageAt, boolean good, int messagesWritten,
                              int goodMessages, int goodAttachments) {}
}
