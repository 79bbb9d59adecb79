package dev.helpdesk.migrator.source;

import java.util.List;

/**
 * A valid item of the messages table (CONTRACT §1). Attachment entries that are themselves invalid
 * do not make the message bad: they are listed in {@code badAttachments} and left out of
 * {@code attachments}. Whether an attachment URL is allowed is the media fetcher's decision.
 *
 * @param authorJson the {@code author} map as plain JSON
 * @param body null for attachment-only messages
 * @param telephonyJson plain JSON, null when absent
 * @param extraJson the attributes the contract does not name, as a DynamoDB-JSON object; null when there are none
 */
public record MessageItem(String threadId, String messageId, String accountId, long sentAt, String direction,
                          String authorJson, String body, String contentType, List<AttachmentRef> attachments,
                          String telephonyJson, String extraJson, List<BadAttachment> badAttachments) {}
