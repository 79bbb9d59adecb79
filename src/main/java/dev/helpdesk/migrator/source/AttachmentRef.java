package dev.helpdesk.migrator.source;

/** A well-formed entry of a message's {@code attachments} list; optional fields are null when absent. */
public record AttachmentRef(String attachmentId, String url, String fileName, String contentType, Long size) {}
