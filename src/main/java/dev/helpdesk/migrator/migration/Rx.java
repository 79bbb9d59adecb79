package dev.helpdesk.migrator.migration;

import io.reactivex.rxjava3.core.Completable;
import io.reactivex.rxjava3.core.Single;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.function.Supplier;

/** Bridges between Vert.x futures and RxJava; the supplier runs at subscription, so chains stay cold. */
final class Rx {
  private Rx() {}

  static Completable completable(Supplier<Future<?>> work) {
    return Completable.create(emitter -> work.get().onComplete(ar -> {
      if (ar.succeeded()) emitter.onComplete();
      else emitter.tryOnError(ar.cause());
    }));
  }

  static <T> Single<T> single(Supplier<Future<T>> work) {
    return Single.create(emitter -> work.get().onComplete(ar -> {
      if (ar.succeeded()) emitter.onSuccess(ar.result());
      else emitter.tryOnError(ar.cause());
    }));
  }

  static Future<Void> future(Completable chain) {
    Promise<Void> done = Promise.promise();
    chain.subscribe(done::tryComplete, done::tryFail);
    return done.future();
  }
}
