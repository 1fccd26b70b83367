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
import { hostBitsClear, ipBytes, isPrivateOrLocalIp } from '../address/address.js';
import { ConfigError, parseStanzas, type Stanza, type StanzaFile, type StanzaLine } from './stanzas.js';
import { checkKeys } from './known-keys.js';
import { readRpcStartup, type StartupCommand } from './rpc-startup.js';
import { readTimers, timerConfigKeys, type Timers } from './timers.js';
import { type CrawlNetworkConfig, readCrawlNetwork } from './crawl-network.js';
import { readValidatorsConfig, VALIDATOR_STANZAS, type ValidatorsConfig } from './validators.js';

export { ConfigError } from './stanzas.js';
export type { TimerKey, Timers } from './timers.js';
export type { StaticValidator, UntrustedRelay, ValidatorsConfig } from './validators.js';
export type { StartupCommand } from './rpc-startup.js';

/** rippled's DEFAULT_PEER_PORT (IANA): used for [ips]/[ips_fixed] entries without a port. */
export const DEFAULT_PEER_PORT = 2459;
/** The port our peer listener uses when the file does not say. */
export const DEFAULT_LISTEN_PORT = 51235;
/** PeerFinder Tuning::defaultMaxPeers. */
export const DEFAULT_PEERS_MAX = 21;

/** host: an IPv4 address, an IPv6 address without brackets, or a DNS name. */
export interface Endpoint {
  host: string;
  port: number;
}

export interface PortConfig {
  /** The stanza name, e.g. `port_peer`. */
  name: string;
  ip: string;
  port: number;
  /** Lower case, as listed: peer, http, https, ws, wss, ws2, wss2. */
  protocols: string[];
  /** Networks allowed admin access, in CIDR form (`127.0.0.1/32`; `0.0.0.0` becomes `0.0.0.0/0` and `::/0`). */
  admin: string[];
  sslKey?: string;
  sslCert?: string;
  sslChain?: string;
}

export interface ClusterNode {
  /** Base58 node public key, `n9...`. */
  publicKey: string;
  name?: string;
}

export type CrawlPrivatePeers = 'hide' | 'hide_address';

export interface CrawlConfig {
  /** False when `[crawl]` is `0`, or when every part below is switched off (rippled then answers no /crawl). */
  enabled: boolean;
  overlay: boolean;
  server: boolean;
  counts: boolean;
  unl: boolean;
  /** Ours: how /crawl shows peers that asked for privacy. `hide` leaves them out, `hide_address` lists them without ip/port. */
  privatePeers: CrawlPrivatePeers;
}

export interface OverlayConfig {
  /** Inbound connections allowed per public IP; 0 = automatic (see slotLimits). */
  ipLimit: number;
  publicIp?: string;
  /** Milliseconds; the same value as timers.maxUnknownTime. */
  maxUnknownTime: number;
  /** Milliseconds; the same value as timers.maxDivergedTime. */
  maxDivergedTime: number;
  /** Test an address a peer advertises (TCP connect) before passing it on. */
  verifyEndpoints: boolean;
}

/**
 * A stanza (or key) that is in the file but does not affect us.
 * - unused: rippled knows it, we have no use for it (log at debug level)
 * - unknown: rippled does not know it either, probably a typo (log at warn level)
 * - not-in-server: a port stanza that [server] does not list, so it is not opened
 * - overridden: [peers_in_max]/[peers_out_max] next to [peers_max], which wins
 * - outside-stanza: a line before the first [stanza] header
 */
export interface IgnoredStanza {
  stanza: string;
  line: number;
  key?: string;
  reason: 'unused' | 'unknown' | 'not-in-server' | 'overridden' | 'outside-stanza';
}

export interface Config {
  /** The file name used in messages. */
  file: string;
  /** Every listening port in use: those [server] lists, or the short form without [server]. */
  ports: PortConfig[];
  /** The one port whose protocols include `peer`. */
  peerPort: PortConfig;
  /** [port_ws_admin_local], when in use. */
  adminWs?: PortConfig;
  /** [port_rpc_admin_local], when in use. */
  adminRpc?: PortConfig;
  ips: Endpoint[];
  ipsFixed: Endpoint[];
  peerPrivate: boolean;
  /** As written; 0 means the default (21). [peers_max] wins over [peers_in_max]/[peers_out_max]. */
  peersMax: number;
  /** Set together with peersOutMax, only when [peers_max] is absent. */
  peersInMax?: number;
  peersOutMax?: number;
  /** Base58 secp256k1 family seed (`s...`) for the node key. */
  nodeSeed?: string;
  /** Absent: send no Network-ID header and accept any. */
  networkId?: number;
  serverDomain?: string;
  clusterNodes: ClusterNode[];
  crawl: CrawlConfig;
  overlay: OverlayConfig;
  /** `[vl] enabled`: serve validator lists at /vl/ on the peer port. */
  vlEnabled: boolean;
  compression: boolean;
  ledgerReplay: boolean;
  /** As written. rippled makes a relative path absolute against the working directory. */
  databasePath?: string;
  /** As written. rippled takes a relative path as relative to the config file's directory. */
  debugLogfile?: string;
  timers: Timers;
  /** `[crawl_network]` (ours): crawl the network on a schedule; absent: never. */
  crawlNetwork?: CrawlNetworkConfig;
  /** The validator stanzas (config/validators.ts). */
  validators: ValidatorsConfig;
  /** [rpc_startup]: admin commands run once at start. */
  rpcStartup: StartupCommand[];
  ignored: IgnoredStanza[];
}

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
// Reading values with their location

/** A problem with one value; the Reader adds file, line and stanza. */
class BadValue extends Error {
  override name = 'BadValue';
}

class Reader {
  constructor(readonly source: StanzaFile) {}

  stanza(name: string): Stanza | undefined {
    return this.source.stanzas.get(name);
  }

  fail(stanza: string | undefined, line: number | undefined, detail: string): never {
    throw new ConfigError({ file: this.source.file, line, stanza }, detail);
  }

  /** Runs a value check, turning BadValue into a ConfigError at this place. */
  check<T>(stanza: string, line: number, read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof BadValue) this.fail(stanza, line, err.message);
      throw err;
    }
  }

  /** The value of a stanza that holds one line; undefined when absent or empty. */
  single(name: string): StanzaLine | undefined {
    const stanza = this.stanza(name);
    if (stanza === undefined || stanza.lines.length === 0) return undefined;
    if (stanza.lines.length > 1) {
      this.fail(name, stanza.lines[1]!.line, `expected one value, got ${stanza.lines.length} lines`);
    }
    return stanza.lines[0];
  }

  singleBool(name: string, fallback: boolean): boolean {
    const value = this.single(name);
    return value === undefined ? fallback : this.check(name, value.line, () => parseBool(value.text));
  }

  singleCount(name: string): { value: number; line: number } | undefined {
    const value = this.single(name);
    if (value === undefined) return undefined;
    return { value: this.check(name, value.line, () => parseCount(value.text)), line: value.line };
  }

  entryBool(stanza: Stanza | undefined, key: string, fallback: boolean): boolean {
    const entry = stanza?.entries.get(key);
    if (entry === undefined) return fallback;
    return this.check(stanza!.name, entry.line, () => parseBool(entry.value, key));
  }

  entryCount(stanza: Stanza | undefined, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const entry = stanza?.entries.get(key);
    if (entry === undefined) return fallback;
    return this.check(stanza!.name, entry.line, () => {
      const value = parseCount(entry.value, key);
      if (value < min || value > max) throw new BadValue(`${key} must be between ${min} and ${max}, got ${value}`);
      return value;
    });
  }
}

function parseBool(text: string, key?: string): boolean {
  const lower = text.toLowerCase();
  if (lower === '1' || lower === 'true') return true;
  if (lower === '0' || lower === 'false') return false;
  throw new BadValue(`${key ? key + ': ' : ''}expected 0 or 1, got '${text}'`);
}

function parseCount(text: string, key?: string): number {
  const value = /^\+?\d+$/.test(text) ? Number(text.replace('+', '')) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new BadValue(`${key ? key + ': ' : ''}expected a non-negative integer, got '${text}'`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// Ports: [server] and the stanzas it lists

const PORT_PROTOCOLS = new Set(['peer', 'http', 'https', 'ws', 'wss', 'ws2', 'wss2']);
const SHORT_FORM_PORTS = ['port_peer', 'port_rpc_admin_local', 'port_ws_admin_local'];
/** gRPC ports are listed in [server] but parsed elsewhere by rippled; we have no gRPC. */
const GRPC_PORT = 'port_grpc';

/** Port keys read so far; [server] keys apply to every listed port unless it sets its own. */
interface PortDraft {
  ip?: string;
  port?: number;
  protocols?: string[];
  admin: string[];
  sslKey?: string;
  sslCert?: string;
  sslChain?: string;
}

function readPorts(r: Reader): { ports: PortConfig[]; inUse: Set<string> } {
  const server = r.stanza('server');
  if (server === undefined) return readShortFormPorts(r);

  const common = readPortKeys(r, server, { admin: [] });
  const ports: PortConfig[] = [];
  const inUse = new Set<string>();
  for (const { text: name, line } of server.values) {
    if (inUse.has(name)) r.fail('server', line, `[${name}] is listed twice`);
    inUse.add(name);
    if (name === GRPC_PORT) continue;
    const stanza = r.stanza(name);
    if (stanza === undefined) r.fail('server', line, `lists [${name}], which is not in the file`);
    ports.push(finishPort(r, stanza, readPortKeys(r, stanza, common)));
  }
  inUse.delete(GRPC_PORT);
  return { ports, inUse };
}

/** No [server]: take [port_peer] (with defaults) and the two admin ports if present. */
function readShortFormPorts(r: Reader): { ports: PortConfig[]; inUse: Set<string> } {
  const ports: PortConfig[] = [];
  const inUse = new Set<string>();
  for (const name of SHORT_FORM_PORTS) {
    const stanza = r.stanza(name);
    if (stanza === undefined) continue;
    inUse.add(name);
    ports.push(finishPort(r, stanza, readPortKeys(r, stanza, { admin: [] })));
  }
  if (!inUse.has('port_peer')) ports.unshift(defaultPeerPort());
  return { ports, inUse };
}

function defaultPeerPort(): PortConfig {
  return { name: 'port_peer', ip: '0.0.0.0', port: DEFAULT_LISTEN_PORT, protocols: ['peer'], admin: [] };
}

function readPortKeys(r: Reader, stanza: Stanza, inherited: PortDraft): PortDraft {
  const draft: PortDraft = { ...inherited, admin: [...inherited.admin] };
  for (const entry of stanza.entries.values()) {
    r.check(stanza.name, entry.line, () => applyPortKey(draft, entry.key, entry.value));
  }
  return draft;
}

function applyPortKey(draft: PortDraft, key: string, value: string): void {
  switch (key) {
    case 'ip':
      if (isIP(value) === 0) throw new BadValue(`ip: expected an IPv4 or IPv6 address, got '${value}'`);
      draft.ip = value;
      return;
    case 'port':
      draft.port = parsePortNumber(value);
      return;
    case 'protocol':
      draft.protocols = parseProtocols(value);
      return;
    case 'admin':
      // rippled appends a port's admin networks to those of [server].
      draft.admin.push(...parseAdminList(value));
      return;
    case 'ssl_key':
      draft.sslKey = value;
      return;
    case 'ssl_cert':
      draft.sslCert = value;
      return;
    case 'ssl_chain':
      draft.sslChain = value;
      return;
    default:
      // user, password, limit, send_queue_limit, secure_gateway, websocket options...:
      // rippled's, of no use to us.
      return;
  }
}

function finishPort(r: Reader, stanza: Stanza, draft: PortDraft): PortConfig {
  const fallback = stanza.name === 'port_peer' ? defaultPeerPort() : undefined;
  const ip = draft.ip ?? fallback?.ip;
  const port = draft.port ?? fallback?.port;
  const protocols = draft.protocols ?? fallback?.protocols;
  if (ip === undefined) r.fail(stanza.name, stanza.line, `missing 'ip'`);
  if (port === undefined) r.fail(stanza.name, stanza.line, `missing 'port'`);
  if (protocols === undefined) r.fail(stanza.name, stanza.line, `missing 'protocol'`);
  const result: PortConfig = { name: stanza.name, ip, port, protocols, admin: draft.admin };
  if (draft.sslKey !== undefined) result.sslKey = draft.sslKey;
  if (draft.sslCert !== undefined) result.sslCert = draft.sslCert;
  if (draft.sslChain !== undefined) result.sslChain = draft.sslChain;
  return result;
}

function choosePeerPort(r: Reader, ports: PortConfig[]): PortConfig {
  const peerPorts = ports.filter((p) => p.protocols.includes('peer'));
  const where = r.stanza('server') ?? r.stanza(ports[0]?.name ?? '');
  if (peerPorts.length > 1) {
    const names = peerPorts.map((p) => `[${p.name}]`).join(', ');
    r.fail(where?.name, where?.line, `more than one port has protocol 'peer': ${names}`);
  }
  if (peerPorts.length === 0) r.fail(where?.name, where?.line, `no port in use has protocol 'peer'`);
  return peerPorts[0]!;
}

function parsePortNumber(text: string): number {
  // Port 0 is refused in the file (rippled's checkZeroPorts).
  const value = /^\+?\d+$/.test(text) ? Number(text.replace('+', '')) : NaN;
  if (!(value >= 1 && value <= 65535)) throw new BadValue(`port: expected 1-65535, got '${text}'`);
  return value;
}

function parseProtocols(text: string): string[] {
  const protocols: string[] = [];
  for (const item of text.split(',')) {
    const name = item.trim().toLowerCase();
    if (name === '' || protocols.includes(name)) continue;
    if (!PORT_PROTOCOLS.has(name)) {
      throw new BadValue(`protocol: unknown protocol '${item.trim()}' (known: ${[...PORT_PROTOCOLS].join(', ')})`);
    }
    protocols.push(name);
  }
  if (protocols.length === 0) throw new BadValue(`protocol: no protocol in '${text}'`);
  return protocols;
}

// ---------------------------------------------------------------------------------------
// IP addresses and networks

/** Parses `admin = 127.0.0.1, 10.0.0.0/8, ::1` into CIDR strings, as rippled's Port.cpp checks them. */
export function parseAdminList(text: string): string[] {
  const nets: string[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const kind = isIP(item);
    if (kind !== 0 && ipBytes(item).every((b) => b === 0)) return ['0.0.0.0/0', '::/0'];
    if (kind === 4) nets.push(`${item}/32`);
    else if (kind === 6) nets.push(`${item}/128`);
    else nets.push(checkAdminSubnet(item));
  }
  return nets;
}

function checkAdminSubnet(item: string): string {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(item);
  const kind = match ? isIP(match[1]!) : 0;
  if (!match || kind === 0) throw new BadValue(`admin: '${item}' is neither an IP address nor a subnet`);
  const prefix = Number(match[2]);
  const bits = kind === 4 ? 32 : 128;
  if (prefix > bits) throw new BadValue(`admin: prefix /${prefix} is too long in '${item}'`);
  const bytes = ipBytes(match[1]!);
  if (!hostBitsClear(bytes, prefix)) {
    throw new BadValue(`admin: '${item}' is not a network address (bits after /${prefix} must be 0)`);
  }
  return item;
}

// ---------------------------------------------------------------------------------------
// [ips] and [ips_fixed]

const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * One [ips]/[ips_fixed] entry: `host port`, `host:port`, `[v6]:port`, `[v6] port`, or a
 * host alone (port 2459). An IPv6 address is taken as is: `::1 51235`. Like rippled, port 0
 * also means 2459. Throws an Error whose message says what is wrong.
 */
export function parseEndpoint(text: string): Endpoint {
  const entry = text.trim();
  const [host, portText] = splitHostPort(entry);
  if (isIP(host) === 0 && !isHostName(host)) throw new BadValue(`bad host '${host}' in '${entry}'`);
  if (portText === undefined) return { host, port: DEFAULT_PEER_PORT };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port <= 65535)) throw new BadValue(`bad port '${portText}' in '${entry}'`);
  return { host, port: port === 0 ? DEFAULT_PEER_PORT : port };
}

function splitHostPort(entry: string): [string, string | undefined] {
  const bracketed = /^\[([^\]]*)\](?::(.*)|\s+(\S+))?$/.exec(entry);
  if (bracketed) {
    const host = bracketed[1]!;
    if (isIP(host) !== 6) throw new BadValue(`bad IPv6 address '[${host}]' in '${entry}'`);
    return [host, bracketed[2] ?? bracketed[3]];
  }
  const tokens = entry.split(/\s+/);
  if (tokens.length === 2) return [tokens[0]!, tokens[1]];
  if (tokens.length > 2) throw new BadValue(`expected 'host port' or 'host:port', got '${entry}'`);
  // A lone IPv6 address has several colons; `host:port` has exactly one.
  if (isIP(entry) !== 0 || entry.split(':').length !== 2) return [entry, undefined];
  const colon = entry.indexOf(':');
  return [entry.slice(0, colon), entry.slice(colon + 1)];
}

function isHostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // An all-digit last label would be a malformed IPv4 address, not a name.
  return labels.every((l) => HOST_LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

function readEndpoints(r: Reader, name: string): Endpoint[] {
  const stanza = r.stanza(name);
  if (stanza === undefined) return [];
  return stanza.lines.map(({ text, line }) => r.check(name, line, () => parseEndpoint(text)));
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

/** [overlay] keys rippled reads that we do not use. */
const RIPPLED_OVERLAY_KEYS = ['max_untrusted_count', 'max_trusted_count'];
const OVERLAY_KEYS = ['ip_limit', 'public_ip', 'verify_endpoints', ...timerConfigKeys('overlay')];

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

// ---------------------------------------------------------------------------------------
// What the file holds that we do not use

const USED_STANZAS = new Set([
  'server', 'ips', 'ips_fixed', 'peer_private', 'peers_max', 'peers_in_max', 'peers_out_max',
  'node_seed', 'network_id', 'server_domain', 'cluster_nodes', 'crawl', 'overlay', 'compression',
  'ledger_replay', 'database_path', 'debug_logfile', 'vl', 'hashrouter', 'peerfinder',
  'crawl_network',
  'rpc_startup',
]);

/** Stanzas rippled reads (xrpl/config/Constants.h and older releases) that an overlay node has no use for. */
const RIPPLED_STANZAS = new Set([
  'amendments', 'amendment_majority_time', 'beta_rpc_api', 'elb_support', 'features', 'fee_default',
  'fetch_depth', 'historical_shard_paths', 'import_db', 'insight', 'io_workers', 'ledger_history',
  'ledger_tx_tables', 'max_subscriptions_per_connection', 'max_transactions', 'network_quorum', 'node_db',
  'node_size', 'path_search', 'path_search_fast', 'path_search_max', 'path_search_old', 'perf',
  'port_grpc', 'prefetch_workers', 'reduce_relay', 'relational_db', 'relay_proposals', 'relay_validations',
  'shard_db', 'signing_support', 'sntp_servers', 'sqdb', 'sqlite', 'ssl_verify', 'ssl_verify_dir',
  'ssl_verify_file', 'sweep_interval', 'transaction_queue', 'validation_seed', 'validator_keys',
  'validator_key_revocation', 'validator_list_keys', 'validator_list_sites', 'validator_list_threshold',
  'validator_token', 'validators', 'validators_file', 'veto_amendments', 'voting', 'workers',
]);

function listIgnored(r: Reader, portsInUse: Set<string>): IgnoredStanza[] {
  const ignored: IgnoredStanza[] = r.source.preamble.map(({ line }) => ({ stanza: '', line, reason: 'outside-stanza' }));
  for (const stanza of r.source.stanzas.values()) {
    const reason = stanzaIgnoreReason(stanza, portsInUse);
    if (reason !== undefined) ignored.push({ stanza: stanza.name, line: stanza.line, reason });
  }
  if (r.single('peers_max') !== undefined) {
    for (const name of ['peers_in_max', 'peers_out_max']) {
      const stanza = r.stanza(name);
      if (stanza !== undefined) ignored.push({ stanza: name, line: stanza.line, reason: 'overridden' });
    }
  }
  ignored.push(...ignoredOverlayKeys(r.stanza('overlay')));
  // Ports: those in use (with a [server], the ones it lists; else the short-form stanzas present).
  ignored.push(...checkKeys(r.source, portsInUse));
  return ignored;
}

function stanzaIgnoreReason(stanza: Stanza, portsInUse: Set<string>): IgnoredStanza['reason'] | undefined {
  if (portsInUse.has(stanza.name) || USED_STANZAS.has(stanza.name)) return undefined;
  if ((VALIDATOR_STANZAS as readonly string[]).includes(stanza.name)) return undefined;
  if (RIPPLED_STANZAS.has(stanza.name)) return 'unused';
  if (looksLikePort(stanza)) return 'not-in-server';
  return 'unknown';
}

function looksLikePort(stanza: Stanza): boolean {
  return stanza.name.startsWith('port_') || stanza.entries.has('port') || stanza.entries.has('protocol');
}

function ignoredOverlayKeys(stanza: Stanza | undefined): IgnoredStanza[] {
  if (stanza === undefined) return [];
  const keys = [...stanza.entries.values()]
    .filter((e) => !OVERLAY_KEYS.includes(e.key))
    .map((e): IgnoredStanza => ({
      stanza: 'overlay',
      line: e.line,
      key: e.key,
      reason: RIPPLED_OVERLAY_KEYS.includes(e.key) ? 'unused' : 'unknown',
    }));
  const values = stanza.values.map((v): IgnoredStanza => ({ stanza: 'overlay', line: v.line, reason: 'unknown' }));
  return [...keys, ...values];
}
