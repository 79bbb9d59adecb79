package dev.helpdesk.migrator.media;

/**
 * Why an attachment could not be copied. {@code permanent} failures are dead-lettered at once and
 * never retried on their own; the others have used up their attempts (or met an open breaker).
 */
public final class MediaFailure extends RuntimeException {
  public enum Kind { REFUSED, GONE, REDIRECT, TOO_LARGE, REJECTED, TRANSIENT, CIRCUIT_OPEN, STORAGE }

  private final Kind kind;
  private final boolean permanent;
  private final int attempts;

  public MediaFailure(Kind kind, boolean permanent, String reason, int attempts) {
    super(reason, null, false, false);
    this.kind = kind;
    this.permanent = permanent;
    this.attempts = attempts;
  }

  static MediaFailure permanent(Kind kind, String reason) {
    return new MediaFailure(kind, true, reason, 0);
  }

  static MediaFailure transientFailure(Kind kind, String reason) {
    return new MediaFailure(kind, false, reason, 0);
  }

  MediaFailure withAttempts(int attempts) {
    return new MediaFailure(kind, permanent, getMessage(), attempts);
  }

  public Kind kind() {
    return kind;
  }

  public boolean permanent() {
    return permanent;
  }

  /** The text for the dead letter's {@code reason}. */
  public String reason() {
    return getMessage();
  }

  /** Requests made for this attachment (0 when the URL was refused before any request). */
  public int attempts() {
    return attempts;
  }
}
