package dev.helpdesk.loadtests.data;

import dev.helpdesk.loadtests.data.SeedSummary.ThreadOutcome;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The items of one account, produced thread by thread so that only one thread's items are ever in
 * memory (a whale has a million messages). Every value is a function of (seed, accountId, thread
 * index), so the same inputs always write the same items.
 */
final class AccountGenerator implements Iterator<WriteItem> {
  private static final long MINUTE = 60_000L;
  private static final long DAY = 86_400_000L;
  private static final int HUGE_BODY_BYTES = 400_000; // DynamoDB's limit is 409,600 bytes per item
  /** Threads before this index stay clean so that simple tests can pick a good thread blindly. */
  private static final int FIRST_PLANT_THREAD = 15;

  private static final String[] SUBJECTS = {"Order #%d", "Refund request", "Problème de facturation", "طلب استرداد %d",
      "🚚 Delivery %d", "Re: Re: Fwd: invoice", "Password reset", "שאלה על הזמנה"};

  private final Profile profile;
  private final long seed;
  private final String accountId;
  private final String mediaBaseUrl;
  private final long nowMs;
  private final SourceTables tables;
  private final AccountTally tally;
  private final List<AccountChannels.Channel> channels;
  private final int threadCount;
  private final long messageTotal;
  private final Deque<String> messagePlants = new ArrayDeque<>();
  private final Deque<String> attachmentPlants = new ArrayDeque<>();

  private int nextThread;
  private Iterator<WriteItem> current = Collections.emptyIterator();

  AccountGenerator(Profile profile, long seed, String accountId, String mediaBaseUrl, long nowMs,
                   SourceTables tables, AccountTally tally) {
    this.profile = profile;
    this.seed = seed;
    this.accountId = accountId;
    this.mediaBaseUrl = mediaBaseUrl.endsWith("/") ? mediaBaseUrl.substring(0, mediaBaseUrl.length() - 1) : mediaBaseUrl;
    this.nowMs = nowMs;
    this.tables = tables;
    this.tally = tally;
    this.channels = AccountChannels.of(accountId).channels();
    SplittableRandom rnd = new SplittableRandom(Seeds.of(seed, accountId, "account"));
    this.threadCount = profile.minThreads() + rnd.nextInt(profile.maxThreads() - profile.minThreads() + 1);
    this.messageTotal = Math.round(threadCount * profile.meanMessagesPerThread());
    if (profile.plantBadRecords()) {
      messagePlants.addAll(List.of("missingDirection", "sentAtString", "missingAuthor", "missingDirection",
          "sentAtString", "authorNotMap", "missingDirection", "sentAtString"));
      attachmentPlants.addAll(List.of("ssrf", "fileScheme", "gone404", "gone410", "err500", "missingUrl",
          "otherPort", "traversalFileName"));
    }
  }

  @Override
  public boolean hasNext() {
    while (!current.hasNext() && nextThread < threadCount) {
      current = thread(nextThread++).iterator();
    }
    return current.hasNext();
  }

  @Override
  public WriteItem next() {
    if (!hasNext()) throw new NoSuchElementException();
    return current.next();
  }

  /**
   * Messages per thread: the account total split evenly, then each pair of threads trades a random
   * amount, so counts vary while the total stays exact.
   */
  private int messagesFor(int i) {
    long base = messageTotal / threadCount;
    long rem = messageTotal % threadCount;
    int own = (int) (base + (i < rem ? 1 : 0));
    int partner = i ^ 1;
    if (partner >= threadCount) return own;
    int other = (int) (base + (partner < rem ? 1 : 0));
    int room = Math.min(own, other) - 1;
    int d = new SplittableRandom(Seeds.of(seed, accountId, "pair", Integer.toString(i / 2))).nextInt(-room, room + 1);
    return (i % 2 == 0) ? own + d : own - d;
  }

  private String threadPlant(int i) {
    if (!profile.plantBadRecords()) return null;
    return switch (i) {
      case 3 -> "missingChannelId";
      case 7 -> "createdAtString";
      case 11 -> "missingLastMessageAt";
      default -> null;
    };
  }

  private List<WriteItem> thread(int i) {
    SplittableRandom rnd = new SplittableRandom(Seeds.of(seed, accountId, "thread", Integer.toString(i)));
    String threadId = accountId + "-t-" + String.format("%06d", i);
    int n = messagesFor(i);
    String plant = threadPlant(i);
    boolean good = plant == null;

    long lastMessageAt = nowMs - MINUTE - (long) (Math.pow(rnd.nextDouble(), 1.6) * 120 * DAY);
    long span = n == 1 ? 0 : rnd.nextLong(MINUTE, 30 * DAY);
    long createdAt = lastMessageAt - span - rnd.nextLong(0, 5 * MINUTE);
    long[] sentAt = sentTimes(rnd, n, lastMessageAt, span);

    AccountChannels.Channel channel = rnd.nextInt(100) < 3 || channels.isEmpty() ? null : channels.get(rnd.nextInt(channels.size()));
    String channelId = channel != null ? channel.channelId() : "ch-" + accountId + "-retired-" + rnd.nextInt(3);
    boolean voice = channel != null && channel.type().equals("voice");
    String customerId = "cust-" + accountId + "-" + rnd.nextInt(1_000_000);

    List<WriteItem> items = new ArrayList<>(n + 1);
    items.add(new WriteItem(tables.threadsTable(),
        threadItem(rnd, threadId, plant, channelId, customerId, createdAt, lastMessageAt, n)));

    int goodMessages = 0;
    int goodAttachments = 0;
    boolean hugeHere = profile.hugeBody() && i == Math.min(1, threadCount - 1);
    for (int seq = 0; seq < n; seq++) {
      MessageDraft m = message(rnd, i, threadId, seq, sentAt[seq], customerId, voice, good, hugeHere && seq == 0);
      items.add(new WriteItem(tables.messagesTable(), m.item));
      tally.attachmentsWritten(m.attachments);
      if (good && m.good) {
        goodMessages++;
        goodAttachments += m.goodAttachments;
      }
    }
    if (!good) {
      tally.bad("thread", Map.of("accountId", accountId, "threadId", threadId), plant, false);
    }
    tally.thread(new ThreadOutcome(threadId, lastMessageAt, good, n, goodMessages, goodAttachments));
    return items;
  }

  /** Sorted send times within [last - span, last], the newest exactly at lastMessageAt. */
  private static long[] sentTimes(SplittableRandom rnd, int n, long last, long span) {
    long[] t = new long[n];
    for (int j = 0; j < n - 1; j++) t[j] = last - span + (long) (rnd.nextDouble() * span);
    Arrays.sort(t, 0, n - 1);
    t[n - 1] = last;
    return t;
  }

  private Map<String, AttributeValue> threadItem(SplittableRandom rnd, String threadId, String plant, String channelId,
                                                 String customerId, long createdAt, long lastMessageAt, int n) {
    Map<String, AttributeValue> t = new LinkedHashMap<>();
    t.put("accountId", Av.s(accountId));
    t.put("threadId", Av.s(threadId));
    if (!"missingChannelId".equals(plant)) t.put("channelId", Av.s(channelId));
    if (rnd.nextInt(10) < 8) t.put("subject", Av.s(String.format(Texts.pick(SUBJECTS, rnd), rnd.nextInt(100_000))));
    t.put("status", Av.s(status(rnd)));
    t.put("customer", Av.m(customer(rnd, customerId)));
    t.put("createdAt", "createdAtString".equals(plant) ? Av.s(Long.toString(createdAt)) : Av.n(createdAt));
    if (!"missingLastMessageAt".equals(plant)) t.put("lastMessageAt", Av.n(lastMessageAt));
    // Conversations' own counter may be stale
    t.put("messageCount", Av.n(rnd.nextInt(10) == 0 ? Math.max(0, n + rnd.nextInt(-3, 4)) : n));
    if (rnd.nextInt(10) < 4) t.put("tags", AttributeValue.fromSs(rnd.nextBoolean() ? List.of("vip", "billing") : List.of("shipping")));
    // attributes the contract does not name, which must survive the migration
    if (rnd.nextInt(5) == 0) t.put("priority", Av.n(rnd.nextInt(1, 6)));
    if (rnd.nextInt(10) == 0) {
      t.put("legacyFlags", Av.m(Map.of("vip", AttributeValue.fromBool(rnd.nextBoolean()),
          "importedFrom", Av.s("zendesk"), "oldIds", AttributeValue.fromL(List.of(Av.s("z-" + rnd.nextInt(9999)), Av.n(7))))));
    }
    if (rnd.nextInt(30) == 0) t.put("archivedBy", AttributeValue.fromNul(true));
    return t;
  }

  private static String status(SplittableRandom rnd) {
    int r = rnd.nextInt(100);
    if (r < 40) return "open";
    if (r < 90) return "closed";
    if (r < 94) return "spam";
    return r < 97 ? "pending_review" : "archived"; // unknown values are kept as they are
  }

  private static Map<String, AttributeValue> customer(SplittableRandom rnd, String id) {
    Map<String, AttributeValue> c = new LinkedHashMap<>();
    c.put("id", Av.s(id));
    if (rnd.nextInt(10) < 8) c.put("name", Av.s(Texts.pick(Texts.NAMES, rnd)));
    if (rnd.nextInt(10) < 6) c.put("email", Av.s(id.toLowerCase() + "@mail.example"));
    if (rnd.nextInt(10) < 4) c.put("phone", Av.s(String.format("+4420%08d", rnd.nextInt(100_000_000))));
    return c;
  }

  /** A message item and what a correct migration makes of it. */
  private record MessageDraft(Map<String, AttributeValue> item, boolean good, int attachments, int goodAttachments) {}

  private MessageDraft message(SplittableRandom rnd, int threadIndex, String threadId, int seq, long sentAt,
                               String customerId, boolean voice, boolean goodThread, boolean huge) {
    String messageId = String.format("m-%013d-%05d", sentAt, seq);
    Map<String, AttributeValue> m = new LinkedHashMap<>();
    m.put("threadId", Av.s(threadId));
    m.put("messageId", Av.s(messageId));
    m.put("accountId", Av.s(accountId));
    m.put("sentAt", Av.n(sentAt));
    int dirRoll = rnd.nextInt(100);
    String direction = dirRoll < 55 ? "inbound" : dirRoll < 90 ? "outbound" : "note";
    m.put("direction", Av.s(direction));
    m.put("author", Av.m(author(rnd, direction, customerId)));

    boolean withAttachments = goodThread && !huge && rnd.nextDouble() < profile.attachmentRatio();
    int attachmentCount = withAttachments ? (rnd.nextInt(10) < 7 ? 1 : 2) : 0;
    boolean attachmentOnly = withAttachments && rnd.nextInt(10) < 3;
    if (huge) {
      m.put("body", Av.s(Texts.hugeBody(HUGE_BODY_BYTES)));
      m.put("contentType", Av.s("text/plain"));
    } else if (!attachmentOnly) {
      Texts.Body body = Texts.body(rnd);
      m.put("body", Av.s(body.text()));
      m.put("contentType", Av.s(body.contentType()));
    }
    if (voice && rnd.nextBoolean()) {
      Map<String, AttributeValue> tel = new LinkedHashMap<>();
      tel.put("durationSec", Av.n(rnd.nextInt(5, 3600)));
      if (rnd.nextInt(10) < 7) tel.put("recordingUrl", Av.s(mediaBaseUrl + "/recordings/" + threadId + "/" + seq + ".mp3"));
      m.put("telephony", Av.m(tel));
    }
    if (rnd.nextInt(20) == 0) m.put("legacyFlags", Av.m(Map.of("fromEmailBridge", AttributeValue.fromBool(true))));
    if (rnd.nextInt(33) == 0) m.put("editedAt", Av.n(sentAt + rnd.nextInt(1, 600_000)));
    if (rnd.nextInt(50) == 0) m.put("reactions", AttributeValue.fromSs(List.of("👍", "❤️")));

    int goodAttachments = 0;
    if (attachmentCount > 0) {
      List<AttributeValue> list = new ArrayList<>(attachmentCount);
      for (int k = 0; k < attachmentCount; k++) {
        String plant = null;
        if (k == 0 && threadIndex >= FIRST_PLANT_THREAD && !attachmentPlants.isEmpty() && rnd.nextInt(3) == 0) {
          plant = attachmentPlants.poll();
        }
        String baseId = accountId + (plant == null ? "" : plantIdMarker(plant)) + "-a-" + threadIndex + "-" + seq + "-" + k;
        list.add(Av.m(attachment(rnd, threadId, messageId, baseId, plant)));
        if (plant == null || plant.equals("traversalFileName")) goodAttachments++;
      }
      m.put("attachments", AttributeValue.fromL(list));
    }

    boolean good = true;
    if (goodThread && attachmentCount == 0 && !huge && seq >= 1 && threadIndex >= FIRST_PLANT_THREAD
        && !messagePlants.isEmpty() && rnd.nextInt(6) == 0) {
      String plant = messagePlants.poll();
      switch (plant) {
        case "missingDirection" -> m.remove("direction");
        case "sentAtString" -> m.put("sentAt", Av.s(Long.toString(sentAt)));
        case "missingAuthor" -> m.remove("author");
        case "authorNotMap" -> m.put("author", Av.s("agent-7"));
        default -> throw new IllegalStateException(plant);
      }
      tally.bad("message", Map.of("threadId", threadId, "messageId", messageId), plant, false);
      good = false;
    }
    return new MessageDraft(m, good, attachmentCount, goodAttachments);
  }

  /** The simulator's media route answers by markers in the id (see ConversationsSimulator). */
  private static String plantIdMarker(String plant) {
    return switch (plant) {
      case "gone404" -> "-gone404";
      case "gone410" -> "-gone410";
      case "err500" -> "-err500";
      default -> "";
    };
  }

  private static Map<String, AttributeValue> author(SplittableRandom rnd, String direction, String customerId) {
    Map<String, AttributeValue> a = new LinkedHashMap<>();
    if (rnd.nextInt(100) < 3) {
      a.put("type", Av.s("system"));
      return a;
    }
    if (direction.equals("inbound")) {
      a.put("type", Av.s("customer"));
      a.put("id", Av.s(customerId));
      if (rnd.nextBoolean()) a.put("name", Av.s(Texts.pick(Texts.NAMES, rnd)));
    } else if (rnd.nextInt(100) < 15 && direction.equals("outbound")) {
      a.put("type", Av.s("bot"));
      a.put("id", Av.s("bot-1"));
      a.put("name", Av.s("Helper bot 🤖"));
    } else {
      int agent = rnd.nextInt(1, 20);
      a.put("type", Av.s("agent"));
      a.put("id", Av.s("agent-" + agent));
      a.put("name", Av.s(Texts.NAMES[agent % Texts.NAMES.length]));
    }
    return a;
  }

  private Map<String, AttributeValue> attachment(SplittableRandom rnd, String threadId, String messageId,
                                                 String attachmentId, String plant) {
    int kind = rnd.nextInt(Texts.FILE_NAMES.length);
    String fileName = "traversalFileName".equals(plant) ? "../../../etc/cron.d/evil.sh" : Texts.FILE_NAMES[kind];
    String contentType = Texts.CONTENT_TYPES[kind];
    long size = logUniform(rnd, 100, profile.maxAttachmentBytes());
    String query = "?size=" + size + "&ct=" + URLEncoder.encode(contentType, StandardCharsets.UTF_8).replace("+", "%20");
    String url = mediaBaseUrl + "/media/" + attachmentId + query;
    if (plant != null) {
      switch (plant) {
        case "ssrf" -> url = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
        case "fileScheme" -> url = "file:///etc/passwd";
        case "otherPort" -> url = "http://127.0.0.1:1/media/" + attachmentId + query;
        case "missingUrl" -> url = null;
        default -> { }
      }
      if (!plant.equals("traversalFileName")) {
        boolean transientFailure = plant.equals("err500");
        tally.bad("attachment", Map.of("threadId", threadId, "messageId", messageId, "attachmentId", attachmentId),
            plant, transientFailure);
      }
    }
    Map<String, AttributeValue> a = new LinkedHashMap<>();
    a.put("attachmentId", Av.s(attachmentId));
    if (url != null) a.put("url", Av.s(url));
    a.put("fileName", Av.s(fileName));
    a.put("contentType", Av.s(contentType));
    a.put("size", Av.n(size));
    return a;
  }

  private static long logUniform(SplittableRandom rnd, long min, long max) {
    double lo = Math.log(min);
    double hi = Math.log(max);
    return Math.max(min, Math.min(max, Math.round(Math.exp(lo + rnd.nextDouble() * (hi - lo)))));
  }
}
