package dev.helpdesk.migrator.db;

import dev.helpdesk.migrator.config.Settings;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.Statement;

import static dev.helpdesk.migrator.support.TestService.await;
import static org.junit.jupiter.api.Assertions.*;

@ExtendWith(VertxExtension.class)
class DatabaseTest {

  /**
   * A run frozen in the middle of a batch keeps its transaction open and its row locks held; the
   * instance that takes its job over must not queue behind it for as long as it stays frozen.
   */
  @Test
  void aTransactionWhoseClientFallsSilentIsEndedByTheServerAndReleasesItsLocks(Vertx vertx) throws Exception {
    EmbeddedPg pg = EmbeddedPg.shared();
    String uri = pg.createDatabase("idletx");
    String db = uri.substring(uri.lastIndexOf('/') + 1);
    try (Connection c = pg.connect(db); Statement st = c.createStatement()) {
      st.execute("create table t (id int primary key, v int)");
      st.execute("insert into t values (1, 0)");
    }
    Pool pool = Database.pool(vertx, new Settings.Pg(uri, 2, 5000, 5000, 800));
    try {
      SqlConnection frozen = await(pool.getConnection());
      Transaction tx = await(frozen.begin());
      await(frozen.query("update t set v = 1 where id = 1").execute());
      // the client now says nothing more: the row stays locked until the server gives up on it

      long start = System.nanoTime();
      try (Connection other = pg.connect(db); Statement st = other.createStatement()) {
        st.execute("set lock_timeout = '10s'");
        assertEquals(1, st.executeUpdate("update t set v = 2 where id = 1"));
      }
      long waitedMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(waitedMs >= 500, "the lock was held while the transaction was merely idle: " + waitedMs + " ms");
      assertTrue(waitedMs < 5000, "the successor waited " + waitedMs + " ms");

      assertThrows(Exception.class, () -> await(tx.commit()), "the silent transaction was ended, not committed later");
      try (Connection c = pg.connect(db); Statement st = c.createStatement(); var rs = st.executeQuery("select v from t")) {
        rs.next();
        assertEquals(2, rs.getInt(1));
      }
      frozen.close();
    } finally {
      await(pool.close());
    }
  }
}
