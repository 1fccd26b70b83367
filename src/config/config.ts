/**
 * Typed, validated configuration read from a rippled.cfg-style file.
 *
 * Stanza names, keys, defaults and ranges are rippled's (Config.cpp, Port.cpp,
 * ServerHandler.cpp, OverlayImpl.cpp setup_Overlay, PeerfinderConfig.cpp, Cluster.cpp).
 * Where rippled quietly ignores a bad value, we stop with a ConfigError that names
 * file, line and stanza instead: a node that silently runs with other settings than the
 * operator wrote is worse than one that does not start.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { decodeNodePublic, decodeSeed } from 'ripple-address-codec';
import { isPrivateOrLocalIp } from '../address/address.js';
import { ConfigError, parseStanzas, type Stanza } from './stanzas.js';
import { readRpcStartup } from './rpc-startup.js';
import { readTimers, timerConfigKeys, type Timers } from './timers.js';
import { readCrawlNetwork } from './crawl-network.js';
import { readValidatorMonitor } from './validator-monitor.js';
import { readValidatorsConfig } from './validators.js';
import { BadValue, Reader } from './reader.js';
import { choosePeerPort, readPorts } from './ports.js';
import { HOST_LABEL, readEndpoints } from './endpoints.js';
import { listIgnored } from './unused.js';
import { type ClusterNode, type Config, type CrawlConfig, type CrawlPrivatePeers, DEFAULT_PEERS_MAX, type OverlayConfig, type PortConfig, type ReduceRelayConfig } from './types.js';

export { ConfigError } from './stanzas.js';
export type { TimerKey, Timers } from './timers.js';
export type { StaticValidator, UntrustedRelay, ValidatorsConfig } from './validators.js';
export type { StartupCommand } from './rpc-startup.js';
export * from './types.js';
export { parseAdminList } from './ports.js';
export { parseEndpoint } from './endpoints.js';

// ---------------------------------------------------------------------------------------
// Entry points

export function parseConfig(text: string, file = 'rippled.cfg'): Config {
  const r = new Reader(parseStanzas(text, file));
  const { ports, inUse } = readPorts(r);
  const timers = readTimers(r.source);
  const peers = readPeerLimits(r);
  const config: Config = {
    file,
    ports,
    peerPort: choosePeerPort(r, ports),
    ips: readEndpoints(r, 'ips'),
    ipsFixed: readEndpoints(r, 'ips_fixed'),
    peerPrivate: r.singleBool('peer_private', false),
    ...peers,
    clusterNodes: readClusterNodes(r),
    crawl: readCrawl(r),
    overlay: readOverlay(r, timers),
    vlEnabled: r.entryBool(r.stanza('vl'), 'enabled', true),
    compression: r.singleBool('compression', false),
    ledgerReplay: r.singleBool('ledger_replay', false),
    timers,
    validators: readValidatorsConfig(r.source),
    rpcStartup: readRpcStartup(r.source),
    reduceRelay: readReduceRelay(r),
    validatorMonitor: readValidatorMonitor(r.source),
    ignored: [],
  };
  setIfDefined(config, 'adminWs', ports.find((p) => p.name === 'port_ws_admin_local'));
  setIfDefined(config, 'adminRpc', ports.find((p) => p.name === 'port_rpc_admin_local'));
  setIfDefined(config, 'nodeSeed', readNodeSeed(r));
  setIfDefined(config, 'networkId', readNetworkId(r));
  setIfDefined(config, 'serverDomain', readServerDomain(r));
  setIfDefined(config, 'databasePath', r.single('database_path')?.text);
  setIfDefined(config, 'debugLogfile', r.single('debug_logfile')?.text);
  setIfDefined(config, 'crawlNetwork', readCrawlNetwork(r.source));
  readPeerfinderKeys(r);
  config.ignored = listIgnored(r, inUse);
  return config;
}

export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError({ file: path }, `cannot read the configuration file: ${why}`);
  }
  return parseConfig(text, path);
}

/** What the daemon runs with when given no file: a peer port on 0.0.0.0:51235 and nothing else. */
export function defaultConfig(): Config {
  return parseConfig('', '(built-in defaults)');
}

/** The ports this node serves, in config order: the peer port and the admin ports (others are not opened). */
export function servedPorts(config: Config): PortConfig[] {
  const served = [config.peerPort, config.adminRpc, config.adminWs];
  return config.ports.filter((p) => served.includes(p));
}

/**
 * Peer slots, as PeerFinder's Config::makeConfig and applyTuning compute them.
 * [peers_max] (0 or absent = 21, raised to at least 10): out = max((max*15+50)/100, 10),
 * in = max - out; a [peer_private] node makes every slot outbound. With
 * [peers_in_max]/[peers_out_max] those are taken as they are (also when private).
 * ipLimit: [overlay] ip_limit, or when 0: 2, plus min(5, in/21) when in > 21; then kept
 * within [1, in/2].
 */
export function slotLimits(c: Config): { outMax: number; inMax: number; ipLimit: number } {
  let outMax: number;
  let inMax: number;
  if (c.peersInMax !== undefined && c.peersOutMax !== undefined) {
    outMax = c.peersOutMax;
    inMax = c.peersInMax;
  } else {
    const max = Math.max(c.peersMax === 0 ? DEFAULT_PEERS_MAX : c.peersMax, MIN_OUT_PEERS);
    outMax = c.peerPrivate ? max : Math.max(Math.floor((max * 15 + 50) / 100), MIN_OUT_PEERS);
    inMax = max - outMax;
  }
  return { outMax, inMax, ipLimit: ipLimitFor(c.overlay.ipLimit, inMax) };
}

const MIN_OUT_PEERS = 10;

function ipLimitFor(configured: number, inMax: number): number {
  let limit = configured;
  if (limit === 0) {
    limit = 2;
    if (inMax > DEFAULT_PEERS_MAX) limit += Math.min(5, Math.floor(inMax / DEFAULT_PEERS_MAX));
  }
  return Math.max(1, Math.min(limit, Math.floor(inMax / 2)));
}

function setIfDefined<K extends keyof Config>(config: Config, key: K, value: Config[K] | undefined): void {
  if (value !== undefined) config[key] = value;
}

// ---------------------------------------------------------------------------------------
// Peers and identity

function readPeerLimits(r: Reader): { peersMax: number; peersInMax?: number; peersOutMax?: number } {
  const max = r.singleCount('peers_max');
  if (max !== undefined) return { peersMax: max.value };

  const inMax = r.singleCount('peers_in_max');
  const outMax = r.singleCount('peers_out_max');
  if (inMax !== undefined && inMax.value > 1000) {
    r.fail('peers_in_max', inMax.line, `must be at most 1000, got ${inMax.value}`);
  }
  if (outMax !== undefined && (outMax.value < 10 || outMax.value > 1000)) {
    r.fail('peers_out_max', outMax.line, `must be between 10 and 1000, got ${outMax.value}`);
  }
  if (inMax === undefined && outMax === undefined) return { peersMax: DEFAULT_PEERS_MAX };
  if (inMax === undefined) r.fail('peers_out_max', outMax!.line, 'needs [peers_in_max] too: set both or neither');
  if (outMax === undefined) r.fail('peers_in_max', inMax.line, 'needs [peers_out_max] too: set both or neither');
  return { peersMax: DEFAULT_PEERS_MAX, peersInMax: inMax.value, peersOutMax: outMax.value };
}

function readNodeSeed(r: Reader): string | undefined {
  const value = r.single('node_seed');
  if (value === undefined) return undefined;
  return r.check('node_seed', value.line, () => {
    let type: string | null;
    try {
      type = decodeSeed(value.text).type;
    } catch {
      throw new BadValue(`expected a base58 seed (s...), got '${value.text}'`);
    }
    // rippled decodes [node_seed] as a family seed only, and makes a secp256k1 key from it.
    if (type !== 'secp256k1') throw new BadValue(`expected a secp256k1 family seed, got an ${type ?? 'unknown'} seed`);
    return value.text;
  });
}

const NETWORK_NAMES: Record<string, number> = { main: 0, testnet: 1, devnet: 2 };

function readNetworkId(r: Reader): number | undefined {
  const value = r.single('network_id');
  if (value === undefined) return undefined;
  const named = NETWORK_NAMES[value.text];
  if (named !== undefined) return named;
  const id = /^\+?\d+$/.test(value.text) ? Number(value.text.replace('+', '')) : NaN;
  if (!(id <= 0xffffffff)) {
    r.fail('network_id', value.line, `expected a number (0-4294967295) or main, testnet or devnet, got '${value.text}'`);
  }
  return id;
}

function readServerDomain(r: Reader): string | undefined {
  const value = r.single('server_domain');
  if (value === undefined) return undefined;
  if (!isTomlDomain(value.text)) {
    r.fail('server_domain', value.line, `'${value.text}' is not a domain name like example.com`);
  }
  return value.text;
}

/** rippled's isProperlyFormedTomlDomain rules: 4-128 chars, dot-separated labels, alphabetic TLD. */
function isTomlDomain(domain: string): boolean {
  if (domain.length < 4 || domain.length > 128) return false;
  const labels = domain.split('.');
  const tld = labels.pop()!;
  return labels.length > 0 && labels.every((l) => HOST_LABEL.test(l)) && /^[A-Za-z]{2,63}$/.test(tld);
}

function readClusterNodes(r: Reader): ClusterNode[] {
  const stanza = r.stanza('cluster_nodes');
  if (stanza === undefined) return [];
  const nodes: ClusterNode[] = [];
  for (const { text, line } of stanza.lines) {
    const node = r.check('cluster_nodes', line, () => parseClusterNode(text));
    // rippled skips a repeated key with a warning; the first name stays.
    if (!nodes.some((n) => n.publicKey === node.publicKey)) nodes.push(node);
  }
  return nodes;
}

function parseClusterNode(text: string): ClusterNode {
  const match = /^([A-Za-z0-9]+)(?:\s+(.*\S))?$/.exec(text);
  if (!match) throw new BadValue(`expected 'n9... [name]', got '${text}'`);
  const publicKey = match[1]!;
  let valid: boolean;
  try {
    valid = decodeNodePublic(publicKey).length === 33;
  } catch {
    valid = false;
  }
  if (!valid) throw new BadValue(`'${publicKey}' is not a node public key (n9...)`);
  return match[2] === undefined ? { publicKey } : { publicKey, name: match[2] };
}

// ---------------------------------------------------------------------------------------
// [crawl], [overlay], [peerfinder]

function readCrawl(r: Reader): CrawlConfig {
  const stanza = r.stanza('crawl');
  const values = stanza?.values ?? [];
  if (values.length > 1) r.fail('crawl', values[1]!.line, `expected at most one value (0 or 1), got ${values.length}`);
  const first = values[0];
  // rippled reads this value with boost::lexical_cast<bool>: only 0 and 1.
  if (first !== undefined && first.text !== '0' && first.text !== '1') {
    r.fail('crawl', first.line, `expected 0 or 1, got '${first.text}'`);
  }
  const crawl: CrawlConfig = {
    enabled: first?.text !== '0',
    overlay: r.entryBool(stanza, 'overlay', true),
    server: r.entryBool(stanza, 'server', true),
    counts: r.entryBool(stanza, 'counts', false),
    unl: r.entryBool(stanza, 'unl', true),
    privatePeers: readPrivatePeers(r, stanza),
    snapshotMs: r.entryCount(stanza, 'snapshot_ms', 1000, 0, 60_000),
  };
  crawl.enabled &&= crawl.overlay || crawl.server || crawl.counts || crawl.unl;
  return crawl;
}

function readPrivatePeers(r: Reader, stanza: Stanza | undefined): CrawlPrivatePeers {
  const entry = stanza?.entries.get('private_peers');
  if (entry === undefined) return 'hide';
  if (entry.value !== 'hide' && entry.value !== 'hide_address') {
    r.fail('crawl', entry.line, `private_peers: expected hide or hide_address, got '${entry.value}'`);
  }
  return entry.value;
}


function readOverlay(r: Reader, timers: Timers): OverlayConfig {
  const stanza = r.stanza('overlay');
  const overlay: OverlayConfig = {
    ipLimit: r.entryCount(stanza, 'ip_limit', 0),
    maxUnknownTime: timers.maxUnknownTime,
    maxDivergedTime: timers.maxDivergedTime,
    verifyEndpoints: r.entryBool(stanza, 'verify_endpoints', true),
  };
  const publicIp = stanza?.entries.get('public_ip');
  if (publicIp !== undefined) {
    if (isIP(publicIp.value) === 0 || isPrivateOrLocalIp(publicIp.value)) {
      r.fail('overlay', publicIp.line, `public_ip: expected a public IP address, got '${publicIp.value}'`);
    }
    overlay.publicIp = publicIp.value;
  }
  return overlay;
}

function readReduceRelay(r: Reader): ReduceRelayConfig {
  const s = r.stanza('reduce_relay');
  const both = s?.entries.has('vp_base_squelch_enable') && s.entries.has('vp_enable');
  if (both) {
    r.fail('reduce_relay', s!.entries.get('vp_enable')!.line,
      'vp_enable is the old name of vp_base_squelch_enable: set only one of them');
  }
  const squelch = s?.entries.has('vp_enable') ? 'vp_enable' : 'vp_base_squelch_enable';
  return {
    txEnable: r.entryBool(s, 'tx_enable', false),
    txMetrics: r.entryBool(s, 'tx_metrics', false),
    txMinPeers: r.entryCount(s, 'tx_min_peers', 20, 10),
    txRelayPercentage: r.entryCount(s, 'tx_relay_percentage', 25, 10, 100),
    vpBaseSquelchEnable: r.entryBool(s, squelch, false),
    vpBaseSquelchMaxSelectedPeers: r.entryCount(s, 'vp_base_squelch_max_selected_peers', 5, 3),
  };
}

/** [peerfinder] is ours alone, so anything in it we do not know is a mistake. */
function readPeerfinderKeys(r: Reader): void {
  const stanza = r.stanza('peerfinder');
  if (stanza === undefined) return;
  const known = timerConfigKeys('peerfinder');
  for (const value of stanza.values) r.fail('peerfinder', value.line, `expected 'key = value', got '${value.text}'`);
  for (const entry of stanza.entries.values()) {
    if (!known.includes(entry.key)) {
      r.fail('peerfinder', entry.line, `unknown key '${entry.key}' (known: ${known.join(', ')})`);
    }
  }
}
