package dev.helpdesk.migrator.source;

/**
 * An entry of a message's {@code attachments} list that cannot be used (CONTRACT §1: a bad record of
 * kind {@code attachment}; its message is still migrated).
 *
 * @param index position in the list; -1 when {@code attachments} itself is not a list
 * @param attachmentId null when the entry has no usable one
 * @param entryJson the raw entry as DynamoDB-JSON, so the dead letter keeps what was there
 */
public record BadAttachment(int index, String attachmentId, String reason, String entryJson) {}
