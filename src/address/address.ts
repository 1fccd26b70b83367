/**
 * The one address model: parsing and writing addresses and endpoints ("ip:port", "[v6]:port"), v4-mapped v6
 * normalisation, which addresses are public, and subnets (CIDR networks and prefix matching). Config, protocol,
 * discovery and the admin allow-list all use it; it imports nothing of ours.
 */
import { isIP } from 'node:net';

export interface IpEndpoint {
  ip: string;
  port: number;
}

/** "::ffff:1.2.3.4" → "1.2.3.4"; other addresses unchanged. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

function v4Octets(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** Expand an IPv6 address to its 8 16-bit groups; undefined when malformed. */
export function v6Groups(ip: string): number[] | undefined {
  if (isIP(ip) !== 6) return undefined;
  let text = ip;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4Octets(v4[1]!);
    tail.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
    text = text.slice(0, -v4[1]!.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = parse(head);
  const r = rest === undefined ? [] : parse(rest);
  const fill = 8 - tail.length - h.length - r.length;
  return [...h, ...new Array(rest === undefined ? 0 : fill).fill(0), ...r, ...tail];
}

/**
 * Not private (RFC 1918 / ULA), loopback, link-local, multicast, unspecified, documentation, benchmarking
 * or otherwise reserved: rippled's isPublic (develop). v4-mapped IPv6 follows the IPv4 rules.
 */
export function isPublicIp(address: string): boolean {
  const ip = normalizeIp(address);
  const family = isIP(ip);
  if (family === 4) {
    const [a, b, c] = v4Octets(ip) as [number, number, number, number];
    if (a === 0 || a === 10 || a === 127) return false;
    if (a === 169 && b === 254) return false;
    if (a === 172 && b >= 16 && b <= 31) return false;
    if (a === 192 && b === 168) return false;
    if (a === 100 && b >= 64 && b <= 127) return false; // carrier-grade NAT
    if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF protocol assignments, TEST-NET-1
    if (a === 192 && b === 88 && c === 99) return false; // 6to4 relay anycast
    if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
    if (a === 198 && b === 51 && c === 100) return false; // TEST-NET-2
    if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
    if (a >= 224) return false; // multicast and reserved
    return true;
  }
  if (family === 6) {
    const g = v6Groups(ip)!;
    if (g.every((x) => x === 0)) return false; // ::
    if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return false; // ::1
    if ((g[0]! & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local
    if ((g[0]! & 0xffc0) === 0xfe80) return false; // fe80::/10 link local
    if ((g[0]! & 0xff00) === 0xff00) return false; // multicast
    if (g[0] === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return false; // 100::/64 discard
    if (g[0] === 0x2001 && g[1] === 0x0db8) return false; // 2001:db8::/32 documentation
    if (g[0] === 0x2001 && g[1] === 0) return false; // 2001::/32 Teredo
    if (g[0] === 0x2001 && (g[1]! & 0xfff0) === 0x0020) return false; // 2001:20::/28 ORCHIDv2
    if (g[0] === 0x2002) return false; // 2002::/16 6to4
    const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
    if (mapped) return isPublicIp(`${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`);
    return true;
  }
  return false;
}

export function isUnspecifiedIp(address: string): boolean {
  const ip = normalizeIp(address);
  return ip === '0.0.0.0' || (isIP(ip) === 6 && v6Groups(ip)!.every((x) => x === 0));
}

export function isLoopbackIp(address: string): boolean {
  const ip = normalizeIp(address);
  if (isIP(ip) === 4) return ip.startsWith('127.');
  const g = v6Groups(ip);
  return !!g && g.slice(0, 7).every((x) => x === 0) && g[7] === 1;
}

/** "1.2.3.4:51235" or "[::1]:51235". */
export function formatEndpoint(ip: string, port: number): string {
  const addr = normalizeIp(ip);
  return isIP(addr) === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** A host and the port text after it, not yet checked (the callers' rules for each differ). */
export interface HostPortText {
  host: string;
  port?: string;
}

/**
 * Splits `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 address or a host alone. A lone IPv6 address
 * has several colons and `host:port` exactly one; anything else with colons outside brackets cannot
 * be split and gives undefined.
 */
export function splitHostPort(text: string): HostPortText | undefined {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) return bracketed[2] === undefined ? { host: bracketed[1]! } : { host: bracketed[1]!, port: bracketed[2] };
  if (isIP(text) === 6) return { host: text };
  const colon = text.indexOf(':');
  if (colon < 0) return { host: text };
  if (text.indexOf(':', colon + 1) >= 0) return undefined;
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

/** A port written in decimal, 1 to 65535 (0 too with `allowZero`); undefined otherwise. */
export function parsePort(text: string, allowZero = false): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 && (port > 0 || allowZero) ? port : undefined;
}

/** Parse "ip:port" / "[v6]:port" (an IP, not a name); undefined when malformed or port not 1..65535. */
export function parseEndpoint(text: string): IpEndpoint | undefined {
  let ip: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  if (v6) {
    ip = v6[1]!;
    portText = v6[2]!;
  } else {
    const i = text.lastIndexOf(':');
    if (i <= 0) return undefined;
    ip = text.slice(0, i);
    portText = text.slice(i + 1);
    if (isIP(ip) !== 4 || !/^\d{1,5}$/.test(portText)) return undefined;
  }
  if (isIP(ip) === 0) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { ip: normalizeIp(ip), port };
}

/** Two spellings of one address compare equal (v4-mapped v6 vs v4, zero compression in v6). */
export function sameIp(a: string, b: string): boolean {
  const x = normalizeIp(a);
  const y = normalizeIp(b);
  if (x === y) return true;
  const gx = v6Groups(x);
  const gy = v6Groups(y);
  return !!gx && !!gy && gx.every((v, i) => v === gy[i]);
}

/** The 4 (IPv4) or 16 (IPv6) bytes of an address that `isIP` accepts; a v6 zone (`%eth0`) is ignored. */
export function ipBytes(ip: string): number[] {
  const address = ip.split('%')[0]!;
  if (isIP(address) === 4) return v4Octets(address);
  return v6Groups(address)!.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Private (RFC 1918), loopback, link-local, unique-local or unspecified: addresses peers cannot reach us on. */
export function isPrivateOrLocalIp(ip: string): boolean {
  const b = ipBytes(ip);
  if (b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return isPrivateOrLocalIp(b.slice(12).join('.'));
  }
  if (b.every((x) => x === 0)) return true;
  if (b.length === 4) {
    const [x, y] = b as [number, number];
    return x === 10 || x === 127 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 169 && y === 254);
  }
  const loopback = b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  return loopback || (b[0]! & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80);
}

/** A CIDR network: `10.0.0.0/8`, `::1/128`; a bare address is its own /32 or /128. */
export interface Subnet {
  family: 4 | 6;
  bytes: number[];
  prefix: number;
}

/** `ip/prefix` or a bare IP; undefined when the address is not an IP or the prefix is not 0..bits. */
export function parseSubnet(cidr: string): Subnet | undefined {
  const slash = cidr.lastIndexOf('/');
  const ip = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = slash < 0 ? bits : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  return { family: family as 4 | 6, bytes: ipBytes(ip), prefix };
}

/** Whether the first `prefix` bits of two byte strings agree. */
export function prefixMatches(a: readonly number[], b: readonly number[], prefix: number): boolean {
  for (let i = 0; i < a.length && prefix > 0; i++, prefix -= 8) {
    const keep = Math.min(8, prefix);
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

/** Whether every bit after the first `prefix` is 0 (a network address, not a host in it). */
export function hostBitsClear(bytes: readonly number[], prefix: number): boolean {
  return bytes.every((byte, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    return (byte & ~mask & 0xff) === 0;
  });
}
