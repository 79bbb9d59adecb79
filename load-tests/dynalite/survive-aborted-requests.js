// Preloaded into dynalite (node --require). dynalite rethrows a request stream's 'error' event,
// so a client that vanishes mid-request (a service instance killed with SIGKILL in a crash
// test) would take the whole DynamoDB stand-in down with it. Real DynamoDB shrugs that off;
// so does this: an aborted request is logged and dropped, anything else still crashes loudly.
process.on('uncaughtException', (err) => {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {
    console.error(`dynalite: a client aborted its request (${err.code || err.message}); still serving`);
    return;
  }
  console.error(err);
  process.exit(1);
});
