package dev.helpdesk.loadtests.data;

import dev.helpdesk.loadtests.data.SeedSummary.AccountSummary;
import dev.helpdesk.loadtests.data.SeedSummary.BadRecord;
import dev.helpdesk.loadtests.data.SeedSummary.ThreadOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Counts kept while an account's items are generated; frozen into an {@link AccountSummary}. */
final class AccountTally {
  private final String accountId;
  private int threads;
  private int goodThreads;
  private long messages;
  private long goodMessages;
  private long messagesOfBadThreads;
  private long attachments;
  private long goodAttachments;
  private final List<BadRecord> bad = new ArrayList<>();
  private final List<ThreadOutcome> outcomes = new ArrayList<>();

  AccountTally(String accountId) {
    this.accountId = accountId;
  }

  void thread(ThreadOutcome t) {
    threads++;
    if (t.good()) {
      goodThreads++;
      goodMessages += t.goodMessages();
      goodAttachments += t.goodAttachments();
    } else {
      messagesOfBadThreads += t.messagesWritten();
    }
    messages += t.messagesWritten();
    outcomes.add(t);
  }

  void attachmentsWritten(int n) {
    attachments += n;
  }

  void bad(String kind, Map<String, String> key, String reason, boolean transientFailure) {
    bad.add(new BadRecord(kind, Map.copyOf(key), reason, transientFailure));
  }

  AccountSummary toSummary() {
    return new AccountSummary(accountId, threads, messages, attachments, goodThreads, goodMessages,
        goodAttachments, messagesOfBadThreads, List.copyOf(bad), List.copyOf(outcomes));
  }
}
