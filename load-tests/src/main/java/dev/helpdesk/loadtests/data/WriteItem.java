package dev.helpdesk.loadtests.data;

import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** One item bound for one table. */
record WriteItem(String table, Map<String, AttributeValue> item) {}
