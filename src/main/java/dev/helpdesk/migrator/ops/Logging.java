package dev.helpdesk.migrator.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import dev.helpdesk.migrator.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * LOG_FORMAT and LOG_LEVEL, applied once the settings are read (logback.xml starts the process in
 * text at ${LOG_LEVEL:-INFO}, so the few lines before that are text). JSON lines are logback's
 * JsonEncoder, one object per line: timestamp, level, threadName, loggerName, formattedMessage,
 * kvpList (a job's accountId, jobId and phase) and throwable; neither the raw arguments nor the
 * logger context are written.
 */
public final class Logging {
  private Logging() {}

  public static void apply(Settings.Ops ops) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) return;
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(ops.logLevel(), Level.INFO));
    if (!"json".equals(ops.logFormat())) return;

    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    ConsoleAppender<ILoggingEvent> json = new ConsoleAppender<>();
    json.setName("JSON");
    json.setContext(context);
    json.setEncoder(encoder);
    json.start();
    // The text appender is detached, not stopped: stopping a console appender may close the stream.
    List<Appender<ILoggingEvent>> previous = new ArrayList<>();
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      Appender<ILoggingEvent> a = it.next();
      if (a instanceof ConsoleAppender) previous.add(a);
    }
    root.addAppender(json);
    previous.forEach(root::detachAppender);
  }
}
