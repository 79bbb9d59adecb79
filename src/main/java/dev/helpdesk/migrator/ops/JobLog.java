package dev.helpdesk.migrator.ops;

import org.slf4j.spi.LoggingEventBuilder;

/**
 * The key-value pairs every log line of a job carries: {@code accountId}, {@code jobId},
 * {@code phase} (SLF4J 2 key-value pairs; JSON lines show them as fields, text lines append them).
 *
 * <p>Key-value pairs rather than the MDC: all of an instance's jobs run interleaved on one event
 * loop, their callbacks continuing on SDK, pool and worker threads. A thread-local MDC would have to
 * be set and cleared around every callback of every Future and Flowable to stay right, and one
 * missed wrapper labels another job's lines with the wrong account. A pair attached to the event is
 * right by construction, whatever thread logs it.
 */
public final class JobLog {
  private JobLog() {}

  public static LoggingEventBuilder of(LoggingEventBuilder event, String accountId, long jobId, String phase) {
    return event.addKeyValue("accountId", accountId).addKeyValue("jobId", jobId).addKeyValue("phase", phase);
  }
}
