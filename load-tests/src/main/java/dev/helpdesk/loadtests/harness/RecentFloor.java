package dev.helpdesk.loadtests.harness;

import static dev.helpdesk.loadtests.harness.RunTable.f;

import dev.helpdesk.loadtests.data.SeedSummary;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A lower bound of the {@code recent_messages_only} p95 on this machine: whatever the schedule, the account at the
 * 95th percentile reaches that status only after the recent items of at least that many accounts are read and
 * written, so after those of the ones with the fewest, moved at the ceilings of this invocation (C, and R for the
 * reads alone). The cutoff is taken at seeding; the run's own is a little later, which leaves out at most the
 * threads of those minutes.
 */
final class RecentFloor {
  private RecentFloor() {}

  /** The floor for the report's conditions column; "" when the seeding or the ceilings are unknown. */
  static String describe(Report.Session s, double limitMs) {
    if (s.seeded == null || s.ceilings == null || !(s.ceilings.c() > 0)) return "";
    long cutoff = s.seeded.nowMs() - s.recentDays * 86_400_000L;
    List<Long> items = new ArrayList<>();
    for (String id : s.accountIds) {
      SeedSummary.AccountSummary a = s.seeded.accounts().get(id);
      if (a == null) return "";
      items.add(a.goodThreadsSince(cutoff) + a.goodMessagesInThreadsSince(cutoff));
    }
    items.sort(null);
    int k = (int) Math.ceil(0.95 * items.size());
    long first = items.subList(0, k).stream().mapToLong(Long::longValue).sum();
    double atC = first / s.ceilings.c() * 1000;
    double atR = first / s.ceilings.r() * 1000;
    return String.format(Locale.ROOT, "floor on this machine: the %d accounts with the fewest recent items (threads with "
            + "`lastMessageAt` in the last %d days and their messages) hold %s items, which take %s ms to read and write at C "
            + "(%s ms to read alone at R)%s", k, s.recentDays, f(first), f(atC), f(atR),
        atC > limitMs ? ": the target lies below what this machine's DynamoDB and PostgreSQL allow" : "");
  }
}
