package dev.helpdesk.migrator.sink;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs one multi-row statement over column arrays, or, after that failed because of a row,
 * the same statement one row at a time under savepoints, so the good rows still commit with
 * the batch and each bad row is reported with PostgreSQL's reason.
 */
public final class Bulk {
  private Bulk() {}

  /** A row PostgreSQL refused, and why. */
  public record Refused<R>(R row, String reason) {}

  /** The rows written (with what the statement returned for them, if anything) and those refused. */
  public record Outcome<R>(List<Row> returned, List<Refused<R>> refused) {
    public static <R> Outcome<R> empty() {
      return new Outcome<>(List.of(), List.of());
    }
  }

  /**
   * True for errors caused by the data of a row (SQLSTATE classes 22 data exception, 23
   * integrity, 54 limits): retrying row by row isolates the culprit. Anything else (a lost
   * connection, a lost lease) is the batch's failure and must fail the batch.
   */
  public static boolean isRowProblem(Throwable t) {
    if (!(t instanceof PgException pg) || pg.getSqlState() == null) return false;
    String s = pg.getSqlState();
    return s.startsWith("22") || s.startsWith("23") || s.startsWith("54");
  }

  public static <R> Future<Outcome<R>> run(SqlClient tx, String sql, List<R> rows, Function<List<R>, Tuple> params,
                                           boolean rowByRow) {
    if (rows.isEmpty()) return Future.succeededFuture(Outcome.empty());
    if (!rowByRow) {
      return tx.preparedQuery(sql).execute(params.apply(rows)).map(rs -> new Outcome<>(collect(rs), List.of()));
    }
    List<Row> returned = new ArrayList<>();
    List<Refused<R>> refused = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (R row : rows) {
      chain = chain.compose(v -> one(tx, sql, row, params, returned, refused));
    }
    return chain.map(v -> new Outcome<>(returned, refused));
  }

  private static <R> Future<Void> one(SqlClient tx, String sql, R row, Function<List<R>, Tuple> params,
                                      List<Row> returned, List<Refused<R>> refused) {
    return tx.query("savepoint bulk_row").execute()
        .compose(v -> tx.preparedQuery(sql).execute(params.apply(List.of(row))))
        .compose(rs -> {
          returned.addAll(collect(rs));
          return tx.query("release savepoint bulk_row").execute().<Void>mapEmpty();
        }, t -> {
          if (!isRowProblem(t)) return Future.failedFuture(t);
          refused.add(new Refused<>(row, Text.displayable(t.getMessage())));
          return tx.query("rollback to savepoint bulk_row").execute().mapEmpty();
        });
  }

  private static List<Row> collect(RowSet<Row> rs) {
    if (rs.size() == 0) return List.of();
    List<Row> out = new ArrayList<>(rs.size());
    rs.forEach(out::add);
    return out;
  }
}
