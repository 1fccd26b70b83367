/**
 * `xrpl-overlay <command> [args…]`: sends a command to a running node's admin port, as
 * `rippled <command>` does, and prints the result as text (or, with --json, the raw result).
 *
 * Exit status: 0 success; 1 the command failed or the node could not be reached; 2 usage error.
 */
import { isIP } from 'node:net';
import { parsePort, splitHostPort } from '../address/address.js';
import { ConfigError } from '../config/config.js';
import { AdminClientError, type AdminEndpoint, type CommandResult, fetchMetrics, resolveAdminEndpoint, sendCommand } from './client.js';
import {
  type Display,
  formatCrawl,
  formatLogLevel,
  formatPeers,
  formatReservationAdd,
  formatReservationDel,
  formatReservations,
  formatServerInfo,
} from './format.js';
import { formatCounts, formatTxReduceRelay } from './format-counts.js';
import { formatManifest, formatValidators } from './format-validators.js';
import { formatMonitor, watchValidators } from './monitor-watch.js';

interface CommandSpec {
  usage: string;
  summary: string;
  /** Turns the arguments into request parameters; throws UsageError. */
  params(args: string[]): Record<string, unknown>;
  format(result: CommandResult, params: Record<string, unknown>, display: Display): string;
}

class UsageError extends Error {}

function noArgs(name: string) {
  return (args: string[]): Record<string, unknown> => {
    if (args.length > 0) throw new UsageError(`${name} takes no arguments`);
    return {};
  };
}

const message = (r: CommandResult) => String(r.message ?? '');

const SPECS: Record<string, CommandSpec> = {
  peers: { usage: 'peers', summary: 'the connected peers', params: noArgs('peers'), format: formatPeers },
  connect: { usage: 'connect IP [PORT]', summary: 'dial a peer (port 2459 by default)', params: connectParams, format: message },
  server_info: { usage: 'server_info', summary: 'this node: key, state, uptime, peers, ports', params: noArgs('server_info'), format: formatServerInfo },
  crawl: { usage: 'crawl', summary: 'what /crawl on the peer port answers', params: noArgs('crawl'), format: formatCrawl },
  peer_reservations_add: {
    usage: 'peer_reservations_add PUBLIC_KEY [DESCRIPTION]',
    summary: 'always keep a slot for a node (n9… key)',
    params: (args) => {
      if (args.length < 1) throw new UsageError('peer_reservations_add needs the node public key (n9…)');
      return args.length > 1 ? { public_key: args[0], description: args.slice(1).join(' ') } : { public_key: args[0] };
    },
    format: (r, p) => formatReservationAdd(r, String(p.public_key), p.description as string | undefined),
  },
  peer_reservations_del: {
    usage: 'peer_reservations_del PUBLIC_KEY',
    summary: 'remove a reservation',
    params: (args) => {
      if (args.length !== 1) throw new UsageError('peer_reservations_del takes the node public key (n9…)');
      return { public_key: args[0] };
    },
    format: (r, p) => formatReservationDel(r, String(p.public_key)),
  },
  peer_reservations_list: { usage: 'peer_reservations_list', summary: 'the reserved nodes', params: noArgs('peer_reservations_list'), format: formatReservations },
  server_state: { usage: 'server_state', summary: 'server_info in machine form (numbers, no text)', params: noArgs('server_state'), format: (r) => JSON.stringify(r.state, null, 2) },
  ping: { usage: 'ping', summary: 'check the admin connection', params: noArgs('ping'), format: (r) => `pong (role: ${String(r.role ?? '-')})` },
  version: { usage: 'version', summary: 'the admin API versions this node takes', params: noArgs('version'), format: (r) => JSON.stringify(r.version) },
  logrotate: { usage: 'logrotate', summary: 'close and reopen [debug_logfile] (after logrotate moved it)', params: noArgs('logrotate'), format: message },
  log_level: {
    usage: 'log_level [[PARTITION] SEVERITY]',
    summary: 'show or set the log level (trace, debug, info, warning, error, fatal)',
    params: (args) => {
      if (args.length === 0) return {};
      if (args.length === 1) return { severity: args[0] };
      if (args.length === 2) return { partition: args[0], severity: args[1] };
      throw new UsageError('log_level takes at most a partition and a severity');
    },
    format: (r, p) => formatLogLevel(r, p.severity as string | undefined),
  },
  stop: { usage: 'stop', summary: 'stop the node', params: noArgs('stop'), format: message },
  get_counts: { usage: 'get_counts', summary: "traffic by rippled's categories: bytes and messages in and out", params: noArgs('get_counts'), format: formatCounts },
  tx_reduce_relay: { usage: 'tx_reduce_relay', summary: 'transaction reduce-relay metrics (rolling averages)', params: noArgs('tx_reduce_relay'), format: formatTxReduceRelay },
  validator_monitor: { usage: 'validator_monitor', summary: 'the validator monitor: validated ledger, agreement, votes (validators --watch redraws it)', params: noArgs('validator_monitor'), format: formatMonitor },
  validators: { usage: 'validators [--watch [SECONDS]]', summary: 'the validators listed and trusted, the quorum and the lists', params: noArgs('validators'), format: formatValidators },
  manifest: {
    usage: 'manifest PUBLIC_KEY',
    summary: 'the manifest of a validator (master or ephemeral n9… key)',
    params: (args) => {
      if (args.length !== 1) throw new UsageError('manifest takes one node public key (n9…)');
      return { public_key: args[0] };
    },
    format: formatManifest,
  },
};

/** `metrics` is not a JSON command: it prints GET /metrics from the HTTP admin port. */
const METRICS = { usage: 'metrics', summary: 'the Prometheus metrics text (GET /metrics)' };

export const ADMIN_COMMANDS: readonly string[] = [...Object.keys(SPECS), 'metrics'];

export function adminUsage(): string {
  const lines = [...Object.values(SPECS), METRICS].map((s) => `  ${s.usage.padEnd(48)} ${s.summary}`);
  return `commands (sent to the admin port of --conf):\n${lines.join('\n')}\n`;
}

/** rippled's parseConnect: `IP PORT`, `IP:PORT`, `[IPv6]:PORT`, or an IP alone. */
function connectParams(args: string[]): Record<string, unknown> {
  if (args.length < 1 || args.length > 2) throw new UsageError('connect takes an IP address and an optional port');
  const split = splitHostPort(args[0]!);
  const ip = split?.host ?? args[0]!;
  // A port given apart wins over one written in the address.
  const portText = args[1] ?? split?.port;
  if (isIP(ip) === 0) throw new UsageError(`connect: '${args[0]}' is not an IP address`);
  if (portText === undefined) return { ip };
  const port = parsePort(portText);
  if (port === undefined) throw new UsageError(`connect: bad port '${portText}'`);
  return { ip, port };
}

/** Where a command's output goes: the process's streams, or a caller's buffers (tests run commands in-process). */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_OUTPUT: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A terminal gets a table that fits its width, in colour (NO_COLOR turns colour off); a pipe gets all of it, plain. */
function displayFor(wide: boolean): Display {
  const tty = process.stdout.isTTY === true;
  const colour = tty && !process.env.NO_COLOR;
  // A terminal that reports no size (0) gets the whole table.
  const columns = process.stdout.columns;
  return { width: tty && !wide && columns > 0 ? columns : undefined, colour };
}

export async function runAdminCommand(command: string, args: string[], opts: { conf?: string; json: boolean; wide?: boolean }, io: CliOutput = PROCESS_OUTPUT): Promise<number> {
  if (command === 'validators' && args[0] === '--watch') return watchValidators(opts.conf, args.slice(1));
  const spec = Object.hasOwn(SPECS, command) ? SPECS[command] : undefined;
  if (!spec && command !== 'metrics') {
    io.err(`xrpl-overlay: unknown command '${command}'\n${adminUsage()}`);
    return 2;
  }
  let params: Record<string, unknown> = {};
  try {
    if (spec) params = spec.params(args);
    else if (args.length > 0) throw new UsageError('metrics takes no arguments');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`xrpl-overlay: ${err.message}\nusage: xrpl-overlay [--conf FILE] [--json] ${spec?.usage ?? METRICS.usage}\n`);
    return 2;
  }

  let endpoint: AdminEndpoint;
  try {
    endpoint = resolveAdminEndpoint(opts.conf);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof AdminClientError) {
      io.err(`xrpl-overlay: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  try {
    if (!spec) {
      io.out(await fetchMetrics(endpoint));
      return 0;
    }
    const result = await sendCommand(endpoint, command, params);
    const failed = result.status !== 'success';
    if (opts.json) {
      io.out(JSON.stringify(result, null, 2) + '\n');
      return failed ? 1 : 0;
    }
    if (failed) {
      io.err(`xrpl-overlay: ${describeFailure(command, result, endpoint)}\n`);
      return 1;
    }
    const text = spec.format(result, params, displayFor(!!opts.wide));
    if (text) io.out(text + '\n');
    return 0;
  } catch (err) {
    if (err instanceof AdminClientError) {
      io.err(`xrpl-overlay: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

function describeFailure(command: string, result: CommandResult, endpoint: AdminEndpoint): string {
  if (result.error === 'forbidden') {
    return `the node refused '${command}': this address is not in the admin = list of ${endpoint.stanza} (forbidden)`;
  }
  const text = typeof result.error_message === 'string' ? result.error_message : 'failed';
  return `${command}: ${text}${result.error ? ` (${String(result.error)})` : ''}`;
}
