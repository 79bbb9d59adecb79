package dev.helpdesk.migrator.source;

import java.util.List;

/**
 * A valid item of the threads table (CONTRACT §1).
 *
 * @param customerJson the {@code customer} map as plain JSON, null when absent
 * @param tags null when absent
 * @param extraJson the attributes the contract does not name, as a DynamoDB-JSON object; null when there are none
 */
public record ThreadItem(String accountId, String threadId, String channelId, String subject, String status,
                         String customerJson, long createdAt, long lastMessageAt, Long messageCount,
                         List<String> tags, String extraJson) {}
