package dev.helpdesk.migrator.media;

/** An attachment copied into the {@link BlobStore}: its content address, byte count and media type. */
public record Fetched(String sha256, long size, String contentType) {}
