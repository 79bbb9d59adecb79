package dev.helpdesk.migrator.api;

import java.util.Set;

/** Who is calling, as established from the bearer credential (CONTRACT §3.1). */
public record Caller(Kind kind, String subject, Set<String> accounts) {
  public enum Kind { MOBILE, CONVERSATIONS, OPERATOR }

  /** A mobile user sees only the accounts of the token; the other callers see every account. */
  public boolean maySee(String accountId) {
    return kind != Kind.MOBILE || accounts.contains(accountId);
  }

  /** Rate limits and logs key on this, never on the secret itself. */
  public String key() {
    return kind + ":" + subject;
  }
}
