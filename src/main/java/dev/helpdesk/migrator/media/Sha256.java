package dev.helpdesk.migrator.media;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;

/**
 * SHA-256 of attachment bytes, the blob store's content address. The service runs C1 only
 * (conf/jvm.options), which hashes at about 150 MB/s with the JDK's pure-Java SHA-256: with
 * 20 TYPICAL accounts at once (2.4 GB of attachments) that was some 17 of the service's 42 s of CPU.
 * AWS's Corretto Crypto Provider hashes natively (AWS-LC, with the CPU's SHA instructions) at
 * about 1,590 MB/s whatever the JIT; it is asked for this digest only, never installed as a
 * provider. Where its native library does not load (another OS or CPU), the JDK's is used.
 */
final class Sha256 {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Sha256.class);
  private static final Provider NATIVE = nativeProvider();

  private Sha256() {}

  static MessageDigest create() {
    try {
      return NATIVE != null ? MessageDigest.getInstance("SHA-256", NATIVE) : MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always present in the JDK", e);
    }
  }

  /** Which implementation hashes the blobs, for the start-up log. */
  static String implementation() {
    return NATIVE != null ? NATIVE.getName() + " " + NATIVE.getVersionStr() + " (native)" : "the JDK's";
  }

  private static Provider nativeProvider() {
    try {
      AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
      if (accp.getLoadingError() != null) {
        log.info("attachments are hashed with the JDK's SHA-256: the native provider did not load ({})",
            accp.getLoadingError().toString());
        return null;
      }
      accp.assertHealthy();
      return accp;
    } catch (RuntimeException | LinkageError e) {
      log.info("attachments are hashed with the JDK's SHA-256: the native provider did not load ({})", e.toString());
      return null;
    }
  }
}
