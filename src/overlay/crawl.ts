/**
 * GET /crawl in rippled's JSON shape. A peer that did not send `Crawl: public` is left out of
 * overlay.active by default, or listed without ip/port when `[crawl] private_peers = hide_address`.
 * A port is listed only when it is the peer's listening port: never an inbound ephemeral one.
 *
 * Also the one builder of server_info: the admin command's answer and the /crawl `server`
 * section come from buildServerInfo, as rippled's OverlayImpl::getServerInfo is
 * NetworkOPs::getServerInfo for a non-admin caller, minus a few fields.
 */
import { hostname } from 'node:os';
import type { Peer } from '../peer/peer.js';

export interface CrawlOptions {
  enabled: boolean;
  overlay: boolean;
  server: boolean;
  counts: boolean;
  unl: boolean;
  privatePeers: 'hide' | 'hide_address';
  /** How long a /crawl body is served before it is built again (ms; 0: every request). Default 1000. */
  snapshotMs?: number;
}

/** What the overlay itself knows for server_info (Overlay.serverInfo()). */
export interface OverlayServerFacts {
  build_version: string;
  pubkey_node: string;
  server_state: string;
  uptime: number;
  peers: number;
  network_id?: number;
  server_domain?: string;
  /** The ports this node serves (peer and admin), with their `admin =` lists. */
  ports: readonly ServerPort[];
  /** Peers disconnected since start, and those of them dropped for resource use. */
  peer_disconnects: number;
  peer_disconnects_resources: number;
  /** Ours: the newest ledger a peer reported as accepted. */
  newest_peer_ledger?: { seq: number; hash?: string };
  /** The network's validated ledger from trusted validations (src/monitor), rippled's field. */
  validated_ledger?: Record<string, unknown>;
  /** From the validator list (src/validators/reports.ts), when the node has one. */
  validator_list?: Record<string, unknown>;
  validation_quorum?: number;
}

export interface CrawlSource {
  peers(): Peer[];
  serverInfo(): OverlayServerFacts;
  /** /crawl's unl section, when the node has a validator list. */
  unlInfo?(): Record<string, unknown> | undefined;
}

export interface CrawlEntry {
  public_key: string;
  type: 'in' | 'out';
  uptime: number;
  version?: string;
  complete_ledgers?: string;
  ip?: string;
  port?: number;
}

/** `[crawl] snapshot_ms` when not set. */
export const DEFAULT_CRAWL_SNAPSHOT_MS = 1000;

/** Each peer's key in base64, encoded once per peer rather than once per /crawl build. */
const base64Keys = new WeakMap<Peer, string>();

function base64Key(peer: Peer): string {
  let key = base64Keys.get(peer);
  if (key === undefined) base64Keys.set(peer, (key = peer.info.publicKey.toString('base64')));
  return key;
}

export function crawlEntry(peer: Peer, privatePeers: CrawlOptions['privatePeers']): CrawlEntry | undefined {
  const isPublic = peer.info.crawl.toLowerCase() === 'public';
  if (!isPublic && privatePeers === 'hide') return undefined;
  const entry: CrawlEntry = {
    public_key: base64Key(peer),
    type: peer.info.direction,
    uptime: peer.uptimeSeconds,
  };
  // OverlayImpl::getOverlayInfo: no `version` key for a peer that sent no version.
  if (peer.info.version) entry.version = peer.info.version;
  const complete = peer.completeLedgers;
  if (complete) entry.complete_ledgers = complete;
  if (isPublic) {
    entry.ip = peer.info.remoteIp;
    if (peer.info.listeningPort !== undefined) entry.port = peer.info.listeningPort;
  }
  return entry;
}

export function buildCrawl(source: CrawlSource, opts: CrawlOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { version: 2 };
  if (opts.overlay) {
    out.overlay = { active: source.peers().flatMap((p) => crawlEntry(p, opts.privatePeers) ?? []) };
  }
  if (opts.server) out.server = buildServerInfo(source.serverInfo(), 'crawl');
  if (opts.counts) out.counts = { peers: source.peers().length };
  if (opts.unl) out.unl = source.unlInfo?.() ?? unlInfo();
  return out;
}

// ------------------------------------------------------------------------------ unl

/**
 * ValidatorList::getJson's `validator_list` for a node with no publisher lists: rippled says
 * "unknown" for both when it has no expiration to report.
 */
export function validatorListSummary(): { count: number; expiration: string; status: string } {
  return { count: 0, expiration: 'unknown', status: 'unknown' };
}

/**
 * OverlayImpl::getUnlInfo for a node that holds no validator lists: ValidatorList::getJson
 * without `signing_keys`, `trusted_validator_keys` and `validation_quorum`, plus ValidatorSite's
 * `validator_sites`.
 */
export function unlInfo(): Record<string, unknown> {
  return { validator_list: { ...validatorListSummary(), validator_list_threshold: 1 }, local_static_keys: [], publisher_lists: [], validator_sites: [] };
}

// ------------------------------------------------------------------------------ server_info

/** A port as server_info lists it: its number, protocols and `admin =` list. */
export interface ServerPort {
  port: number;
  protocols: readonly string[];
  admin: readonly string[];
}

/**
 * `admin`: the admin command (rippled's getServerInfo with human = true, admin = true).
 * `crawl`: the /crawl server section (human = false, admin = false; no hostid, admin ports left out).
 * `state`: the server_state command (human = false, admin = true: numbers, no hostid, every port).
 */
export type ServerInfoView = 'admin' | 'crawl' | 'state';

/** rippled's LoadFeeTrack base, and the factor of a node under no load (lftNormalFee). */
export const LOAD_BASE = 256;

/** The protocols NetworkOPs::getServerInfo names for a port, in its (sorted) order. */
const LISTED_PROTOCOLS = ['http', 'https', 'peer', 'ws', 'ws2', 'wss', 'wss2'];

export interface ServerInfoEnv {
  now: Date;
  hostid: string;
}

/**
 * rippled's server_info fields that an overlay node can fill truthfully. It has no ledgers, no
 * transaction queue and no job queue: `complete_ledgers` is "empty", the load fields carry
 * rippled's values for a server under no load, and the fee-escalation, ledger, consensus and
 * job-queue fields are absent.
 */
export function buildServerInfo(
  base: OverlayServerFacts,
  view: ServerInfoView,
  env: ServerInfoEnv = { now: new Date(), hostid: hostname() },
): Record<string, unknown> {
  const admin = view !== 'crawl';
  const human = view === 'admin';
  const info: Record<string, unknown> = {};
  if (human) info.hostid = env.hostid;
  if (base.server_domain) info.server_domain = base.server_domain;
  info.build_version = base.build_version;
  info.server_state = base.server_state;
  info.time = rippledTime(env.now);
  if (admin) {
    // Machine-readable, rippled gives the list's expiry in seconds, 0 when it has none.
    if (human) info.validator_list = base.validator_list ?? validatorListSummary();
    else info.validator_list_expires = 0;
    if (base.validation_quorum !== undefined) info.validation_quorum = base.validation_quorum;
    info.pubkey_validator = 'none';
  }
  info.pubkey_node = base.pubkey_node;
  info.complete_ledgers = 'empty';
  info.peers = base.peers;
  if (base.network_id !== undefined) info.network_id = base.network_id;
  if (human) {
    // human form: the factor relative to the base, 1 when idle.
    info.load_factor = 1;
  } else {
    info.load_base = LOAD_BASE;
    info.load_factor = LOAD_BASE;
    info.load_factor_server = LOAD_BASE;
  }
  if (base.newest_peer_ledger) info.newest_peer_ledger = base.newest_peer_ledger;
  if (base.validated_ledger) info.validated_ledger = base.validated_ledger;
  info.uptime = base.uptime;
  info.peer_disconnects = String(base.peer_disconnects);
  info.peer_disconnects_resources = String(base.peer_disconnects_resources);
  info.ports = portsJson(base.ports, admin);
  return info;
}

/** NetworkOPs::getServerInfo's `ports`: admin ports only for an admin; known protocols, sorted. */
export function portsJson(ports: readonly ServerPort[], admin: boolean): { port: string; protocol: string[] }[] {
  const out: { port: string; protocol: string[] }[] = [];
  for (const p of ports) {
    if (!admin && p.admin.length > 0) continue;
    const protocol = LISTED_PROTOCOLS.filter((name) => p.protocols.includes(name));
    if (protocol.length > 0) out.push({ port: String(p.port), protocol });
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** rippled's time text, e.g. `2024-Jan-15 10:21:54.283000 UTC`. */
export function rippledTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const micros = String(d.getUTCMilliseconds() * 1000).padStart(6, '0');
  return `${d.getUTCFullYear()}-${MONTHS[d.getUTCMonth()]}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${micros} UTC`;
}
