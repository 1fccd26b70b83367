/** [ips] and [ips_fixed] entries: `host port`, `host:port`, `[v6]:port`, or a host alone. */
import { isIP } from 'node:net';
import { splitHostPort } from '../address/address.js';
import { BadValue, type Reader } from './reader.js';
import { DEFAULT_PEER_PORT, type Endpoint } from './types.js';

// ---------------------------------------------------------------------------------------
// [ips] and [ips_fixed]

export const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * One [ips]/[ips_fixed] entry: `host port`, `host:port`, `[v6]:port`, `[v6] port`, or a
 * host alone (port 2459). An IPv6 address is taken as is: `::1 51235`. Like rippled, port 0
 * also means 2459. Throws an Error whose message says what is wrong.
 */
export function parseEndpoint(text: string): Endpoint {
  const entry = text.trim();
  const [host, portText] = splitEntry(entry);
  if (isIP(host) === 0 && !isHostName(host)) throw new BadValue(`bad host '${host}' in '${entry}'`);
  if (portText === undefined) return { host, port: DEFAULT_PEER_PORT };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port <= 65535)) throw new BadValue(`bad port '${portText}' in '${entry}'`);
  return { host, port: port === 0 ? DEFAULT_PEER_PORT : port };
}

function splitEntry(entry: string): [string, string | undefined] {
  const tokens = entry.split(/\s+/);
  if (tokens.length > 2) throw new BadValue(`expected 'host port' or 'host:port', got '${entry}'`);
  // `host port` and `[v6] port` give the port apart; the rest is split as an address is.
  const [first, spacedPort] = tokens as [string, string | undefined];
  const split = splitHostPort(first);
  // Several colons and not an IPv6 address: left whole, to be refused as a bad host.
  if (!split) return [first, spacedPort];
  if (first.startsWith('[') && isIP(split.host) !== 6) throw new BadValue(`bad IPv6 address '[${split.host}]' in '${entry}'`);
  if (spacedPort !== undefined) return [split.port === undefined ? split.host : first, spacedPort];
  return [split.host, split.port];
}

function isHostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // An all-digit last label would be a malformed IPv4 address, not a name.
  return labels.every((l) => HOST_LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

export function readEndpoints(r: Reader, name: string): Endpoint[] {
  const stanza = r.stanza(name);
  if (stanza === undefined) return [];
  return stanza.lines.map(({ text, line }) => r.check(name, line, () => parseEndpoint(text)));
}
