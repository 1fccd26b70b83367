/** Port stanzas: [server] and the stanzas it lists (or the short-form ones), and the admin = allow-lists. */
import { isIP } from 'node:net';
import { hostBitsClear, ipBytes } from '../address/address.js';
import type { Stanza } from './stanzas.js';
import { BadValue, type Reader } from './reader.js';
import { DEFAULT_LISTEN_PORT, type PortConfig } from './types.js';

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

export function readPorts(r: Reader): { ports: PortConfig[]; inUse: Set<string> } {
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

export function choosePeerPort(r: Reader, ports: PortConfig[]): PortConfig {
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
