/**
 * The `admin = ip, subnet, …` allow-list of an admin port, as rippled's Role.cpp applies it: an
 * IPv4 client is compared with the IPv4 networks only, an IPv6 client with the IPv6 networks only
 * (an IPv4-mapped IPv6 address counts as IPv4).
 */
import { isIP } from 'node:net';
import { normalizeIp, v6Groups } from '../protocol/address.js';

interface Network {
  family: 4 | 6;
  bytes: number[];
  prefix: number;
}

export class AllowList {
  private readonly nets: Network[];

  /** `cidrs` as the config holds them: `127.0.0.1/32`, `10.0.0.0/8`, `::1/128`. */
  constructor(readonly cidrs: readonly string[]) {
    this.nets = cidrs.flatMap((c) => parseNetwork(c) ?? []);
  }

  get empty(): boolean {
    return this.nets.length === 0;
  }

  allows(address: string | undefined): boolean {
    if (!address) return false;
    const ip = normalizeIp(address.split('%')[0]!);
    const family = isIP(ip);
    if (family === 0) return false;
    const bytes = addressBytes(ip);
    return this.nets.some((n) => n.family === family && prefixMatches(bytes, n.bytes, n.prefix));
  }
}

function parseNetwork(cidr: string): Network | undefined {
  const slash = cidr.lastIndexOf('/');
  const ip = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = slash < 0 ? bits : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  return { family: family as 4 | 6, bytes: addressBytes(ip), prefix };
}

function addressBytes(ip: string): number[] {
  if (isIP(ip) === 4) return ip.split('.').map(Number);
  return v6Groups(ip)!.flatMap((g) => [g >> 8, g & 0xff]);
}

function prefixMatches(a: number[], b: number[], prefix: number): boolean {
  for (let i = 0; i < a.length && prefix > 0; i++, prefix -= 8) {
    const keep = Math.min(8, prefix);
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}
