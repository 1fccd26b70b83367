/** The RSS baseline: a bare Node process with an IPC channel and nothing loaded. Answers `status` with its RSS. */
process.on('message', (m: { status?: true; stop?: true }) => {
  if (m.stop) process.exit(0);
  else process.send!({ status: { rssBytes: process.memoryUsage().rss } });
});
process.on('disconnect', () => process.exit(0));
process.send!({ loaded: { rssBytes: process.memoryUsage().rss } });
