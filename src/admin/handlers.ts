/**
 * The admin commands: rippled's request parameters, result shapes and errors (Peers.cpp,
 * PeerImp::json, Connect.cpp, Reservations.cpp, LogLevel.cpp, Stop.cpp, Subscribe.cpp,
 * Unsubscribe.cpp, NetworkOPs::getServerInfo), for what an overlay node has. A handler returns
 * the `result` object or throws an RpcError; the server wraps either in the transport's envelope.
 * Also Ping.cpp, ServerState.cpp, Version.h (ApiVersion.h setVersion) and LogRotate.cpp, which
 * clients such as xrpl.js send to check a connection.
 */
import { isIP } from 'node:net';
import type { Level, Logger } from 'pino';
import type { Config } from '../config/config.js';
import { DEFAULT_PEER_PORT } from '../config/config.js';
import { decodeNodePublic } from '../identity/node-key.js';
import { buildServerInfo } from '../overlay/crawl.js';
import type { OverlayView } from '../overlay/view.js';
import type { Reservation } from '../overlay/reservations.js';
import type { Peer } from '../peer/peer.js';
import { formatEndpoint, isUnspecifiedIp } from '../address/address.js';
import { NodeStatus } from '../protocol/messages.js';
import { expectedField, invalidField, missingField, rpcError } from './errors.js';
import type { PeerWatch } from './peer-watch.js';
import { hubOf, manifestCommand } from './validator-commands.js';
import { VALIDATIONS_STREAM, validatorMonitorCommand } from './monitor-commands.js';
import { getCounts } from './traffic-counts.js';
import { unlListJson, validatorListSitesJson, validatorsJson } from '../validators/reports.js';

export type Params = Record<string, unknown>;
export type Result = Record<string, unknown>;

/** The one stream we publish: peer connections, disconnections and status changes. */
export const PEER_STATUS_STREAM = 'peer_status';

export interface AdminContext {
  overlay: OverlayView;
  config: Config;
  log: Logger;
  watch: PeerWatch;
  /** Stops the node; called once the `stop` response has been written. */
  requestStop(): void;
  /** Closes and reopens the log file (`[debug_logfile]`); false when there is none or it failed. */
  rotateLog?(): boolean;
}

/** What a command knows of the connection it came on. */
export interface CommandSession {
  transport: 'http' | 'ws';
  /** The request's api_version; rippled's default when it names none is 1. */
  apiVersion?: number;
  /** Streams this WebSocket connection is subscribed to (WebSocket only). */
  streams?: Set<string>;
  /** Set by a command that must act once its response has been written (`stop`). */
  afterResponse?: () => void;
}

type Handler = (ctx: AdminContext, params: Params, session: CommandSession) => Result;

const HANDLERS: Record<string, Handler> = {
  peers: (ctx, _params, session) => peersResult(ctx, session.apiVersion ?? DEFAULT_API_VERSION),
  connect: (ctx, params) => connect(ctx, params),
  server_info: (ctx) => ({ info: serverInfo(ctx) }),
  // ServerState.cpp: the same facts, machine-readable (getServerInfo with human = false).
  server_state: (ctx) => ({ state: buildServerInfo(ctx.overlay.serverInfo(), 'state') }),
  ping: (_ctx, _params, session) => ping(session),
  version: (_ctx, _params, session) => ({ version: apiVersions(session.apiVersion ?? DEFAULT_API_VERSION) }),
  logrotate: (ctx) => logRotate(ctx),
  log_rotate: (ctx) => logRotate(ctx),
  crawl: (ctx) => ctx.overlay.crawl() as Result,
  peer_reservations_add: (ctx, params) => reservationsAdd(ctx, params),
  peer_reservations_del: (ctx, params) => reservationsDel(ctx, params),
  peer_reservations_list: (ctx) => ({ reservations: ctx.overlay.reservations.list().map(reservationJson) }),
  log_level: (ctx, params) => logLevel(ctx, params),
  stop: (ctx, _params, session) => {
    session.afterResponse = () => ctx.requestStop();
    return { message: 'xrpl-overlay server stopping' };
  },
  validators: (ctx) => validatorsJson(hubOf(ctx)),
  validator_list_sites: (ctx) => validatorListSitesJson(hubOf(ctx)),
  unl_list: (ctx) => unlListJson(hubOf(ctx)),
  manifest: (ctx, params) => manifestCommand(hubOf(ctx), params),
  validator_monitor: (ctx) => validatorMonitorCommand(ctx),
  // rippled's doTxReduceRelay: the overlay's TxMetrics, zeros unless [reduce_relay] tx_enable or tx_metrics.
  tx_reduce_relay: (ctx) => ctx.overlay.txRelay.metrics.json(),
  // Traffic by rippled's categories, in the shape of rippled's get_counts (traffic-counts.ts).
  get_counts: (ctx) => getCounts(ctx.overlay),
  subscribe: (_ctx, params, session) => subscription(params, session, true),
  unsubscribe: (_ctx, params, session) => subscription(params, session, false),
};

/** Every command the admin ports answer. */
export const COMMANDS: readonly string[] = Object.keys(HANDLERS);

/** Runs one command; throws RpcError for rippled-style failures. */
export function runCommand(ctx: AdminContext, command: string, params: Params, session: CommandSession): Result {
  const handler = Object.hasOwn(HANDLERS, command) ? HANDLERS[command] : undefined;
  if (!handler) throw rpcError('unknownCmd');
  return handler(ctx, params, session);
}

// ------------------------------------------------------------------------------ peers

const STATUS_NAMES = new Map<number, string>(Object.entries(NodeStatus).map(([name, value]) => [value, name.toLowerCase()]));

/** rippled's api_version for a request that names none (RPC::apiVersionIfUnspecified). */
export const DEFAULT_API_VERSION = 1;

function peersResult(ctx: AdminContext, apiVersion: number): Result {
  const peers = ctx.overlay.peers().map((p) => peerJson(ctx, p));
  // Peers.cpp, legacy support: API version 1 also names the tracking state as `sanity`.
  if (apiVersion === 1) {
    for (const p of peers) {
      if (p.track === 'diverged') p.sanity = 'insane';
      else if (p.track === 'unknown') p.sanity = 'unknown';
    }
  }
  // Peers.cpp: every cluster member but ourselves: `tag` (its name), `fee` and `age` from its TMCluster reports.
  return { cluster: ctx.overlay.cluster.peersJson(), peers };
}

/** One peer the way rippled's PeerImp::json() reports it. */
export function peerJson(ctx: AdminContext, peer: Peer): Result {
  const i = peer.info;
  const j: Result = { public_key: i.n9, address: formatEndpoint(i.remoteIp, i.remotePort) };
  if (i.direction === 'in') j.inbound = true;
  if (i.cluster) {
    j.cluster = true;
    const name = ctx.overlay.clusterNodes.find((c) => c.n9 === i.n9)?.name;
    if (name) j.name = name;
  }
  if (i.serverDomain) j.server_domain = i.serverDomain;
  if (i.networkId !== undefined) j.network_id = String(i.networkId);
  j.load = peer.resource.balance;
  if (i.version) j.version = i.version;
  j.protocol = peer.protocolName;
  if (peer.latencyMs !== undefined) j.latency = Math.round(peer.latencyMs);
  j.uptime = peer.uptimeSeconds;
  const { firstSeq, lastSeq } = peer.ledger;
  if (firstSeq && lastSeq && firstSeq <= lastSeq) j.complete_ledgers = `${firstSeq} - ${lastSeq}`;
  const track = ctx.watch.trackingOf(peer);
  if (track !== 'converged') j.track = track;
  const ledger = peer.ledger.ledgerHash ?? i.closedLedger;
  if (ledger && ledger.some((b) => b !== 0)) j.ledger = ledger.toString('hex').toUpperCase();
  const status = peer.ledger.status === undefined ? undefined : STATUS_NAMES.get(peer.ledger.status);
  if (status) j.status = status;
  const rates = ctx.watch.ratesOf(peer);
  j.metrics = {
    total_bytes_recv: String(peer.traffic.bytesIn),
    total_bytes_sent: String(peer.traffic.bytesOut),
    avg_bps_recv: String(rates.recv),
    avg_bps_sent: String(rates.sent),
  };
  return j;
}

// ------------------------------------------------------------------------------ connect

function connect(ctx: AdminContext, params: Params): Result {
  if (!('ip' in params)) throw missingField('ip');
  const ip = params.ip;
  let port = DEFAULT_PEER_PORT;
  if ('port' in params) {
    const p = params.port;
    // rippled takes anything convertible to an int; a port outside 1-65535 cannot be dialled.
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) throw rpcError('invalidParams');
    port = p;
  }
  // rippled answers "attempting connection" even for an address it cannot parse, and then does
  // nothing; we say what is wrong instead.
  if (typeof ip !== 'string' || isIP(ip) === 0 || isUnspecifiedIp(ip)) throw invalidField('ip');
  ctx.overlay.connect(ip, port, 'admin connect').catch(() => {
    // The overlay logs the failure; the command only starts the attempt, as in rippled.
  });
  return { message: `attempting connection to IP:${ip} port: ${port}` };
}

// ------------------------------------------------------------------------------ server_info

/**
 * rippled's server_info for an admin (human-readable form), from the same builder as the /crawl
 * `server` section.
 */
export function serverInfo(ctx: AdminContext): Result {
  return buildServerInfo(ctx.overlay.serverInfo(), 'admin');
}

// ------------------------------------------------------------------------------ ping, version, logrotate

/**
 * Ping.cpp for an admin caller (every caller of these ports is one): its role, and on WebSocket
 * `unlimited`, since rippled gives an admin connection an unlimited resource consumer.
 */
function ping(session: CommandSession): Result {
  return session.transport === 'ws' ? { role: 'admin', unlimited: true } : { role: 'admin' };
}

/** The API versions this server takes (server.ts accepts 1 to 3, rippled's range with beta on). */
export const API_VERSION_RANGE = { first: 1, last: 3 } as const;

/** ApiVersion.h setVersion: API version 1 callers get the old semantic-version strings. */
function apiVersions(apiVersion: number): Result {
  if (apiVersion === DEFAULT_API_VERSION) return { first: '1.0.0', good: '1.0.0', last: '1.0.0' };
  return { first: API_VERSION_RANGE.first, last: API_VERSION_RANGE.last };
}

/** LogRotate.cpp (rippled names it `logrotate`; `log_rotate` is taken too): reopen the log file. */
function logRotate(ctx: AdminContext): Result {
  const reopened = ctx.rotateLog?.() ?? false;
  return { message: reopened ? 'The log file was closed and reopened.' : 'The log file could not be closed and reopened.' };
}

// ------------------------------------------------------------------------------ reservations

function reservationJson(r: Reservation): Result {
  return r.description ? { node: r.node, description: r.description } : { node: r.node };
}

function publicKeyParam(params: Params): string {
  if (!('public_key' in params)) throw missingField('public_key');
  const key = params.public_key;
  if (typeof key !== 'string') throw expectedField('public_key', 'a string');
  try {
    decodeNodePublic(key);
  } catch {
    throw rpcError('publicMalformed');
  }
  return key;
}

function reservationsAdd(ctx: AdminContext, params: Params): Result {
  const key = publicKeyParam(params);
  let description: string | undefined;
  if ('description' in params) {
    if (typeof params.description !== 'string') throw expectedField('description', 'a string');
    description = params.description || undefined;
  }
  const previous = ctx.overlay.reservations.add(key, description);
  ctx.log.info({ peer: key, description }, 'peer reservation added');
  return previous ? { previous: reservationJson(previous) } : {};
}

function reservationsDel(ctx: AdminContext, params: Params): Result {
  const key = publicKeyParam(params);
  const previous = ctx.overlay.reservations.remove(key);
  if (previous) ctx.log.info({ peer: key }, 'peer reservation removed');
  return previous ? { previous: reservationJson(previous) } : {};
}

// ------------------------------------------------------------------------------ log_level

/** rippled's severity names (Logs::fromString, any case) and the pino level each means. */
const SEVERITIES: Record<string, Level> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  warn: 'warn',
  warning: 'warn',
  warnings: 'warn',
  error: 'error',
  errors: 'error',
  fatal: 'fatal',
  fatals: 'fatal',
};

/** The levels an operator can set, in rippled's words. */
export const SEVERITY_LIST = 'trace, debug, info, warning, error, fatal';

/** The pino level for a rippled severity name (any case), or undefined. */
export function severityLevel(name: string): Level | undefined {
  const lower = name.toLowerCase();
  return Object.hasOwn(SEVERITIES, lower) ? SEVERITIES[lower] : undefined;
}

/** The name rippled prints for a pino level (Logs::toString). */
const SEVERITY_NAMES: Record<string, string> = { trace: 'Trace', debug: 'Debug', info: 'Info', warn: 'Warning', error: 'Error', fatal: 'Fatal' };

function logLevel(ctx: AdminContext, params: Params): Result {
  if (!('severity' in params)) {
    return { levels: { base: SEVERITY_NAMES[ctx.log.level] ?? ctx.log.level } };
  }
  const severity = params.severity;
  const level = typeof severity === 'string' ? severityLevel(severity) : undefined;
  // rippled answers a bare invalidParams; we name the levels it takes (its Logs::fromString names).
  if (!level) throw rpcError('invalidParams', `Invalid field 'severity': expected one of ${SEVERITY_LIST}.`);
  if ('partition' in params) {
    const partition = params.partition;
    // rippled keeps a threshold per log partition; this node has one logger, rippled's "base".
    if (typeof partition !== 'string' || partition.toLowerCase() !== 'base') {
      throw rpcError('invalidParams', `Unknown log partition '${String(partition)}': this node has only 'base'.`);
    }
  }
  const before = ctx.log.level;
  ctx.log.level = level;
  ctx.log.info({ from: before, to: level }, 'log level changed');
  return {};
}

// ------------------------------------------------------------------------------ subscribe

function subscription(params: Params, session: CommandSession, subscribe: boolean): Result {
  if (!session.streams) {
    // Subscribe.cpp: over JSON-RPC a subscription needs a callback `url`, which we do not offer.
    if ('url' in params) throw rpcError('notSupported');
    throw rpcError('invalidParams');
  }
  if (!('streams' in params)) return {};
  const streams = params.streams;
  if (!Array.isArray(streams)) throw rpcError('invalidParams');
  for (const s of streams) {
    if (s !== PEER_STATUS_STREAM && s !== VALIDATIONS_STREAM) throw rpcError('malformedStream');
  }
  for (const s of streams as string[]) {
    if (subscribe) session.streams.add(s);
    else session.streams.delete(s);
  }
  return {};
}
