/**
 * The `admin = ip, subnet, …` allow-list of an admin port, as rippled's Role.cpp applies it: an
 * IPv4 client is compared with the IPv4 networks only, an IPv6 client with the IPv6 networks only
 * (an IPv4-mapped IPv6 address counts as IPv4).
 */
import { isIP } from 'node:net';
import { ipBytes, normalizeIp, parseSubnet, prefixMatches, type Subnet } from '../address/address.js';

export class AllowList {
  private readonly nets: Subnet[];

  /** `cidrs` as the config holds them: `127.0.0.1/32`, `10.0.0.0/8`, `::1/128`. */
  constructor(readonly cidrs: readonly string[]) {
    this.nets = cidrs.flatMap((c) => parseSubnet(c) ?? []);
  }

  get empty(): boolean {
    return this.nets.length === 0;
  }

  allows(address: string | undefined): boolean {
    if (!address) return false;
    const ip = normalizeIp(address.split('%')[0]!);
    const family = isIP(ip);
    if (family === 0) return false;
    const bytes = ipBytes(ip);
    return this.nets.some((n) => n.family === family && prefixMatches(bytes, n.bytes, n.prefix));
  }
}
