/**
 * Every timer and limit of the overlay, in one table.
 *
 * Defaults are rippled's (the source of each is named in `doc`), so production behaves like
 * rippled; each can be overridden in the config file so that tests run in seconds.
 * In the file, durations are seconds and may be fractional (`ping_interval = 0.2`);
 * in the Config object they are milliseconds. Counts are non-negative integers.
 */
import os from 'node:os';
import { ConfigError, type StanzaFile } from './stanzas.js';

export type TimerUnit = 'ms' | 'count';

export interface TimerRow {
  /** Property name in `Config.timers`. */
  key: string;
  /** Stanza holding the key in the file. */
  stanza: 'overlay' | 'peerfinder' | 'hashrouter';
  /** Key inside the stanza. */
  configKey: string;
  /** Default, in milliseconds for 'ms' rows. */
  default: number;
  unit: TimerUnit;
  /** Inclusive range, in the same unit as `default`. */
  min: number;
  max: number;
  doc: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Shortest duration we accept for our own timers: short enough for fast tests. */
const TEST_MIN = 10;

export const TIMER_ROWS = [
  // Peer connections ([overlay])
  {
    key: 'pingInterval', stanza: 'overlay', configKey: 'ping_interval', default: 60 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Ping each peer this often; a ping still unanswered at the next tick drops the peer (PeerImp peerTimerInterval).',
  },
  {
    key: 'connectTimeout', stanza: 'overlay', configKey: 'connect_timeout', default: 25 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Whole outbound connection attempt, TCP connect to handshake response (ConnectAttempt connectTimeout).',
  },
  {
    key: 'tcpConnectTimeout', stanza: 'overlay', configKey: 'tcp_connect_timeout', default: 8 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Outbound TCP connect (ConnectAttempt StepTimeouts::tcpConnect).',
  },
  {
    key: 'tlsHandshakeTimeout', stanza: 'overlay', configKey: 'tls_handshake_timeout', default: 8 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Outbound TLS handshake (StepTimeouts::tlsHandshake).',
  },
  {
    key: 'httpWriteTimeout', stanza: 'overlay', configKey: 'http_write_timeout', default: 3 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Writing the outbound upgrade request (StepTimeouts::httpWrite).',
  },
  {
    key: 'httpReadTimeout', stanza: 'overlay', configKey: 'http_read_timeout', default: 3 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Reading the upgrade response to an outbound request (StepTimeouts::httpRead).',
  },
  {
    key: 'inboundHandshakeTimeout', stanza: 'overlay', configKey: 'inbound_handshake_timeout', default: 30 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Inbound: complete the HTTP upgrade request (BaseHTTPPeer timeoutSeconds).',
  },
  {
    key: 'loopbackHttpTimeout', stanza: 'overlay', configKey: 'loopback_http_timeout', default: 3 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Replaces inbound_handshake_timeout for clients on a loopback address (BaseHTTPPeer timeoutSecondsLocal).',
  },
  {
    key: 'shutdownTimeout', stanza: 'overlay', configKey: 'shutdown_timeout', default: 5 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'A closing peer has this long to take our close before its socket is cut (PeerImp shutdownTimerInterval).',
  },
  {
    key: 'fixedBackoffMin', stanza: 'overlay', configKey: 'fixed_backoff_min', default: 1 * MINUTE,
    unit: 'ms', min: TEST_MIN, max: DAY,
    doc: 'First retry delay for an unreachable [ips_fixed] peer; after the n-th failure in a row the wait is 1, 2, 3, 5, 8, 13, 21, 34, 55 times this (PeerFinder Fixed::failure steps through connectionBackoff {1,1,2,3,5,...} after counting the failure).',
  },
  {
    key: 'fixedBackoffMax', stanza: 'overlay', configKey: 'fixed_backoff_max', default: 55 * MINUTE,
    unit: 'ms', min: TEST_MIN, max: DAY,
    doc: 'Longest retry delay for a fixed peer (connectionBackoff ends at 55 minutes).',
  },
  {
    key: 'maxUnknownTime', stanza: 'overlay', configKey: 'max_unknown_time', default: 600 * SECOND,
    unit: 'ms', min: 300 * SECOND, max: 1800 * SECOND,
    doc: 'Drop a peer we dialled whose ledger has been unknown this long (rippled range 300-1800 s).',
  },
  {
    key: 'maxDivergedTime', stanza: 'overlay', configKey: 'max_diverged_time', default: 300 * SECOND,
    unit: 'ms', min: 60 * SECOND, max: 900 * SECOND,
    doc: 'Drop a peer we dialled whose ledger has diverged this long (rippled range 60-900 s).',
  },
  {
    key: 'maxHeaderBytes', stanza: 'overlay', configKey: 'max_header_bytes', default: 8192,
    unit: 'count', min: 1024, max: 1024 * 1024,
    doc: 'Largest HTTP header block accepted, in bytes (Boost.Beast parser header_limit).',
  },
  {
    key: 'maxHeaderCount', stanza: 'overlay', configKey: 'max_header_count', default: 100,
    unit: 'count', min: 8, max: 10000,
    doc: 'Most HTTP header fields accepted (ours: rippled only limits the bytes).',
  },
  {
    key: 'sendQueueTarget', stanza: 'overlay', configKey: 'send_queue_target', default: 128,
    unit: 'count', min: 1, max: 1_000_000,
    doc: 'Messages waiting to be written above which a peer\'s send queue counts as large (Tuning targetSendQueue).',
  },
  {
    key: 'sendQueueIntervals', stanza: 'overlay', configKey: 'send_queue_intervals', default: 4,
    unit: 'count', min: 1, max: 1000,
    doc: 'Ping ticks in a row with a large send queue before the peer is dropped (Tuning sendqIntervals).',
  },
  {
    key: 'relayBacklogBytes', stanza: 'overlay', configKey: 'relay_backlog_bytes', default: 16 * 1024 * 1024,
    unit: 'count', min: 65_536, max: 1024 * 1024 * 1024,
    doc: 'Ours: relayed messages are not queued for a peer that has this many bytes still unwritten (it is slow or not reading; the send-queue rule drops it later). rippled has no such limit.',
  },
  {
    key: 'verifyThreads', stanza: 'overlay', configKey: 'verify_threads', default: os.availableParallelism(),
    unit: 'count', min: 0, max: 256,
    doc: 'Ours: worker threads that verify the signatures of relayed items, off the event loop; default one per core, 0 verifies on the event loop (rippled verifies on its job queue threads).',
  },
  {
    key: 'verifyQueue', stanza: 'overlay', configKey: 'verify_queue', default: 250,
    unit: 'count', min: 1, max: 1_000_000,
    doc: 'Relayed items waiting for their signature check, all peers together, past which a new item is dropped unrelayed and uncharged (a trusted validator\'s is checked on the event loop instead), as rippled drops a transaction when more than 250 (MAX_TRANSACTIONS) wait in its job queue.',
  },
  {
    key: 'decompressBytesPerSecond', stanza: 'overlay', configKey: 'decompress_bytes_per_second', default: 4 * 1024 * 1024,
    unit: 'count', min: 65_536, max: 1024 * 1024 * 1024,
    doc: 'Ours: uncompressed bytes one peer may make us decompress per second; past it the peer is not read until the budget refills (LZ4 expands up to 255 times; rippled has no such limit).',
  },
  {
    key: 'reduceRelayWaitOnBootup', stanza: 'overlay', configKey: 'reduce_relay_wait_on_bootup', default: 10 * MINUTE,
    unit: 'ms', min: 0, max: DAY,
    doc: 'Squelching ([reduce_relay] vp_base_squelch_enable) starts this long after start-up, once connections have settled (reduce_relay WAIT_ON_BOOTUP).',
  },
  {
    key: 'txQueueInterval', stanza: 'overlay', configKey: 'tx_queue_interval', default: 1 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'With [reduce_relay] tx_enable: queued transaction hashes go to each peer (TMHaveTransactions) this often (the OverlayImpl timer, 1 s).',
  },
  {
    key: 'txCacheSize', stanza: 'overlay', configKey: 'tx_cache_size', default: 65_536,
    unit: 'count', min: 1, max: 10_000_000,
    doc: 'With tx_enable: transactions kept to answer peers asking by hash (TransactionMaster cache, 65536).',
  },
  {
    key: 'txCacheAge', stanza: 'overlay', configKey: 'tx_cache_age', default: 30 * MINUTE,
    unit: 'ms', min: TEST_MIN, max: DAY,
    doc: 'With tx_enable: how long a kept transaction stays (TransactionMaster cache, 30 min).',
  },
  {
    key: 'txCacheBytes', stanza: 'overlay', configKey: 'tx_cache_bytes', default: 64 * 1024 * 1024,
    unit: 'count', min: 65_536, max: 16 * 1024 * 1024 * 1024,
    doc: 'Ours: the kept transactions hold at most this many bytes (rippled bounds only their count).',
  },
  {
    key: 'clusterInterval', stanza: 'overlay', configKey: 'cluster_interval', default: 10 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'With [cluster_nodes]: send our status and the members\' (TMCluster) to connected members this often (NetworkOPs cluster timer, 10 s).',
  },
  {
    key: 'resourceWarnThreshold', stanza: 'overlay', configKey: 'resource_warn_threshold', default: 5000,
    unit: 'count', min: 1, max: 100_000_000,
    doc: 'Charge balance at which a peer is warned about (Resource warningThreshold).',
  },
  {
    key: 'resourceDropThreshold', stanza: 'overlay', configKey: 'resource_drop_threshold', default: 25000,
    unit: 'count', min: 1, max: 100_000_000,
    doc: 'Charge balance at which a peer is disconnected (Resource dropThreshold).',
  },
  {
    key: 'resourceDecayWindow', stanza: 'overlay', configKey: 'resource_decay_window', default: 32 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Time over which a peer\'s charge balance decays away (Resource decayWindowSeconds).',
  },
  {
    key: 'resourceExpiration', stanza: 'overlay', configKey: 'resource_expiration', default: 300 * SECOND,
    unit: 'ms', min: TEST_MIN, max: DAY,
    doc: 'How long an address\'s charge balance is kept after its last connection closes, so that a peer dropped for its load and reconnecting still carries it (Resource secondsUntilExpiration).',
  },
  {
    key: 'ledgerRequestTimeout', stanza: 'overlay', configKey: 'ledger_request_timeout', default: 20 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Ours: how long a TMGetLedger we routed to a peer waits for its TMLedgerData before it is forgotten (rippled keeps no such state: it routes by the peer id in the cookie).',
  },
  {
    key: 'ledgerRequestsPerPeer', stanza: 'overlay', configKey: 'ledger_requests_per_peer', default: 256,
    unit: 'count', min: 1, max: 1_000_000,
    doc: 'Ours: routed ledger and transaction-set requests one peer may have waiting for an answer; more are dropped unanswered, as rippled drops requests it is too busy for.',
  },
  {
    key: 'ledgerRequestsMax', stanza: 'overlay', configKey: 'ledger_requests_max', default: 4096,
    unit: 'count', min: 1, max: 10_000_000,
    doc: 'Ours: routed ledger and transaction-set requests waiting for an answer, all peers together.',
  },
  {
    key: 'resourceDropFee', stanza: 'overlay', configKey: 'resource_drop_fee', default: 6000,
    unit: 'count', min: 0, max: 100_000_000,
    doc: 'Charge added to an address when its peer is dropped, or a new connection refused, for its load; in charge units, so it adds a thirty-second of this to the balance (Resource feeDrop).',
  },
  {
    key: 'statusLogInterval', stanza: 'overlay', configKey: 'status_log_interval', default: 5 * MINUTE,
    unit: 'ms', min: 0, max: DAY,
    doc: 'Ours: log a one-line status (peers in/out, newest ledger, items relayed per second) at info this often; 0 turns it off.',
  },
  {
    key: 'healthMinPeers', stanza: 'overlay', configKey: 'health_min_peers', default: 8,
    unit: 'count', min: 1, max: 1000,
    doc: 'GET /health answers 503 with fewer peers than this (and 500 with none); rippled warns at 7 peers or fewer (OverlayImpl::processHealth).',
  },
  // Discovery ([peerfinder], our own stanza: rippled has these as constants)
  {
    key: 'endpointsInterval', stanza: 'peerfinder', configKey: 'endpoints_interval', default: 151 * SECOND,
    unit: 'ms', min: TEST_MIN, max: DAY,
    doc: 'Send TMEndpoints to each peer this often, and accept them from a peer no more often (Tuning secondsPerMessage).',
  },
  {
    key: 'livecacheTtl', stanza: 'peerfinder', configKey: 'livecache_ttl', default: 30 * SECOND,
    unit: 'ms', min: TEST_MIN, max: DAY,
    doc: 'How long an address heard from a peer stays in the Livecache (Tuning liveCacheSecondsToLive).',
  },
  {
    key: 'autoconnectInterval', stanza: 'peerfinder', configKey: 'autoconnect_interval', default: 1 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'Run the connection policy this often (OverlayImpl Timer, once per second).',
  },
  {
    key: 'maxConnectAttempts', stanza: 'peerfinder', configKey: 'max_connect_attempts', default: 20,
    unit: 'count', min: 1, max: 1000,
    doc: 'Outbound connection attempts in flight at once (Tuning maxConnectAttempts).',
  },
  {
    key: 'recentAttemptInterval', stanza: 'peerfinder', configKey: 'recent_attempt_interval', default: 60 * SECOND,
    unit: 'ms', min: TEST_MIN, max: DAY,
    doc: 'Do not dial the same IP again within this (Tuning recentAttemptDuration).',
  },
  {
    key: 'bootcacheSize', stanza: 'peerfinder', configKey: 'bootcache_size', default: 1000,
    unit: 'count', min: 1, max: 1_000_000,
    doc: 'Bootcache capacity before pruning (Tuning bootcacheSize).',
  },
  {
    key: 'bootcachePrunePercent', stanza: 'peerfinder', configKey: 'bootcache_prune_percent', default: 10,
    unit: 'count', min: 1, max: 100,
    doc: 'Share of the worst Bootcache entries dropped when it is full (Tuning bootcachePrunePercent).',
  },
  {
    key: 'bootcacheCooldown', stanza: 'peerfinder', configKey: 'bootcache_cooldown', default: 60 * SECOND,
    unit: 'ms', min: TEST_MIN, max: DAY,
    doc: 'Least time between two saves of the Bootcache (Tuning bootcacheCooldownTime).',
  },
  {
    key: 'bootcacheMaxFailures', stanza: 'peerfinder', configKey: 'bootcache_max_failures', default: 10,
    unit: 'count', min: 0, max: 1_000_000,
    doc: 'Forget a learned Bootcache address after this many failed dials in a row, 0: never (ours; rippled keeps it until the cache is full). [ips] addresses are kept.',
  },
  {
    key: 'redirectIps', stanza: 'peerfinder', configKey: 'redirect_ips', default: 30,
    unit: 'count', min: 0, max: 1000,
    doc: 'Most addresses taken from one 503 redirect answer (Tuning maxRedirects).',
  },
  {
    key: 'redirectIpsSent', stanza: 'peerfinder', configKey: 'redirect_ips_sent', default: 10,
    unit: 'count', min: 0, max: 1000,
    doc: 'Addresses offered in our own 503 redirect answers (Tuning redirectEndpointCount).',
  },
  {
    key: 'maxHops', stanza: 'peerfinder', configKey: 'max_hops', default: 6,
    unit: 'count', min: 0, max: 255,
    doc: 'Drop received endpoints farther than this many hops (Tuning maxHops).',
  },
  {
    key: 'endpointsPerMessage', stanza: 'peerfinder', configKey: 'endpoints_per_message', default: 12,
    unit: 'count', min: 1, max: 1000,
    doc: 'Most endpoints we put in one TMEndpoints (Tuning numberOfEndpoints = 2 x maxHops).',
  },
  {
    key: 'endpointsMaxReceived', stanza: 'peerfinder', configKey: 'endpoints_max_received', default: 64,
    unit: 'count', min: 1, max: 10000,
    doc: 'A received TMEndpoints with more entries is sampled down to this many (Tuning numberOfEndpointsMax).',
  },
  {
    key: 'endpointsOnActivate', stanza: 'peerfinder', configKey: 'endpoints_on_activate', default: 1,
    unit: 'count', min: 0, max: 1,
    doc: 'Ours, 1: each peer gets TMEndpoints as soon as it is active, then every endpoints_interval on its own schedule; 0: as rippled, one broadcast to all peers every endpoints_interval (a new peer waits up to 151 s, and a network started from one seed can stay a star: see README, Discovery).',
  },
  {
    key: 'storeTestedEndpoint', stanza: 'peerfinder', configKey: 'store_tested_endpoint', default: 1,
    unit: 'count', min: 0, max: 1,
    doc: 'Ours, 1: a neighbour whose advertised port passes the connect test is kept (Livecache, Bootcache) at once; 0: as rippled, its entry is dropped and it is kept only from its next TMEndpoints, endpoints_interval later.',
  },
  {
    key: 'livecacheSpansInterval', stanza: 'peerfinder', configKey: 'livecache_spans_interval', default: 1,
    unit: 'count', min: 0, max: 1,
    doc: 'Ours, 1: a Livecache entry lives endpoints_interval + livecache_ttl (181 s), until its sender can have refreshed it; 0: as rippled, livecache_ttl (30 s), so the Livecache is empty most of each endpoints_interval and a network started from one seed can stay a star (README, Discovery).',
  },
  {
    key: 'resourceSweepInterval', stanza: 'overlay', configKey: 'resource_sweep_interval', default: 1 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'How often expired resource balances are forgotten (Resource::Manager runs once a second).',
  },
  {
    key: 'rateSampleInterval', stanza: 'overlay', configKey: 'rate_sample_interval', default: 1 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'How often each peer\'s byte counters are sampled for avg_bps_recv/avg_bps_sent (PeerImp::Metrics: each second).',
  },
  {
    key: 'rateSamples', stanza: 'overlay', configKey: 'rate_samples', default: 30,
    unit: 'count', min: 1, max: 3600,
    doc: 'Samples behind the average rates of `peers` (PeerImp::Metrics rolling average of 30).',
  },
  // Relay suppression ([hashrouter], rippled's own stanza and limits)
  {
    key: 'hashRouterHoldTime', stanza: 'hashrouter', configKey: 'hold_time', default: 300 * SECOND,
    unit: 'ms', min: 12 * SECOND, max: DAY,
    doc: 'Remember a relayed item this long (HashRouter holdTime; rippled minimum 12 s).',
  },
  {
    key: 'hashRouterRelayTime', stanza: 'hashrouter', configKey: 'relay_time', default: 30 * SECOND,
    unit: 'ms', min: 8 * SECOND, max: DAY,
    doc: 'Relay the same item again no sooner than this (HashRouter relayTime; minimum 8 s, at most hold_time).',
  },
  {
    key: 'hashRouterSweepInterval', stanza: 'hashrouter', configKey: 'sweep_interval', default: 10 * SECOND,
    unit: 'ms', min: TEST_MIN, max: HOUR,
    doc: 'How often items unseen for hold_time are forgotten (ours: rippled expires them as it touches the table).',
  },
] as const satisfies readonly TimerRow[];

export type TimerKey = (typeof TIMER_ROWS)[number]['key'];

/** Timer and limit values: milliseconds for durations, plain numbers for counts. */
export type Timers = Record<TimerKey, number>;

export function defaultTimers(): Timers {
  return Object.fromEntries(TIMER_ROWS.map((row) => [row.key, row.default])) as Timers;
}

/** The keys a stanza may hold for this table. */
export function timerConfigKeys(stanza: TimerRow['stanza']): string[] {
  return TIMER_ROWS.filter((row) => row.stanza === stanza).map((row) => row.configKey);
}

/** Reads every row present in the file; the others keep their defaults. */
export function readTimers(file: StanzaFile): Timers {
  const timers = defaultTimers();
  for (const row of TIMER_ROWS as readonly TimerRow[]) {
    const entry = file.stanzas.get(row.stanza)?.entries.get(row.configKey);
    if (entry === undefined) continue;
    const where = { file: file.file, line: entry.line, stanza: row.stanza };
    timers[row.key as TimerKey] = parseTimerValue(row, entry.value, where);
  }
  checkOrder(file, timers, 'fixedBackoffMin', 'fixedBackoffMax');
  checkOrder(file, timers, 'hashRouterRelayTime', 'hashRouterHoldTime');
  return timers;
}

function parseTimerValue(row: TimerRow, text: string, where: ConstructorParameters<typeof ConfigError>[0]): number {
  const value = row.unit === 'ms' ? parseSeconds(text) : parseCount(text);
  if (value === undefined) {
    const expected = row.unit === 'ms' ? 'a number of seconds' : 'a non-negative integer';
    throw new ConfigError(where, `${row.configKey}: expected ${expected}, got '${text}'`);
  }
  if (value < row.min || value > row.max) {
    throw new ConfigError(where, `${row.configKey}: ${describe(row, text)} is out of range ${rangeText(row)}`);
  }
  return value;
}

/** Seconds, possibly fractional, to whole milliseconds. */
function parseSeconds(text: string): number | undefined {
  if (!/^\+?(\d+(\.\d*)?|\.\d+)$/.test(text)) return undefined;
  return Math.round(Number(text.replace('+', '')) * 1000);
}

function parseCount(text: string): number | undefined {
  if (!/^\+?\d+$/.test(text)) return undefined;
  const value = Number(text.replace('+', ''));
  return Number.isSafeInteger(value) ? value : undefined;
}

function describe(row: TimerRow, text: string): string {
  return row.unit === 'ms' ? `${text} s` : text;
}

function rangeText(row: TimerRow): string {
  return row.unit === 'ms' ? `${row.min / 1000}-${row.max / 1000} s` : `${row.min}-${row.max}`;
}

function checkOrder(file: StanzaFile, timers: Timers, lower: TimerKey, upper: TimerKey): void {
  if (timers[lower] <= timers[upper]) return;
  const rows = TIMER_ROWS as readonly TimerRow[];
  const low = rows.find((row) => row.key === lower)!;
  const high = rows.find((row) => row.key === upper)!;
  const entry =
    file.stanzas.get(low.stanza)?.entries.get(low.configKey) ??
    file.stanzas.get(high.stanza)?.entries.get(high.configKey);
  throw new ConfigError(
    { file: file.file, line: entry?.line, stanza: low.stanza },
    `${low.configKey} (${timers[lower] / 1000} s) must not exceed ${high.configKey} (${timers[upper] / 1000} s)`,
  );
}
