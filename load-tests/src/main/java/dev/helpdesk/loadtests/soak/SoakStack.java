package dev.helpdesk.loadtests.soak;

import dev.helpdesk.loadtests.sim.ConversationsSimulator;
import dev.helpdesk.loadtests.support.Dynalite;
import dev.helpdesk.loadtests.support.DynamoFaultProxy;
import dev.helpdesk.loadtests.support.EmbeddedPg;
import dev.helpdesk.loadtests.support.TcpFaultProxy;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.List;

/**
 * What a soak runs on: the stand-ins, the fault proxies in front of them and the service instances
 * (filled in as they start). One value, so that faults, arrivals and checks see the same pieces.
 */
record SoakStack(Vertx vertx, EmbeddedPg pg, String database, Dynalite dynalite, TcpFaultProxy pgProxy,
                 DynamoFaultProxy dynamoProxy, ConversationsSimulator sim, List<SoakInstance> instances,
                 Path attachmentsDir) {

  /** In the soak's order: the simulator and proxies before what they front. */
  void close() {
    sim.close();
    pgProxy.close();
    dynamoProxy.close();
    vertx.close();
    dynalite.close();
    pg.close();
  }
}
