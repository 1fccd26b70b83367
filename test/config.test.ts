import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSeed } from 'ripple-address-codec';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defaultConfig,
  loadConfig,
  parseAdminList,
  parseConfig,
  parseEndpoint,
  slotLimits,
  type Config,
} from '../src/config/config.js';
import { parseStanzas, stripTrailingComment } from '../src/config/stanzas.js';
import { TIMER_ROWS, defaultTimers } from '../src/config/timers.js';

const ROOT = join(import.meta.dirname, '..');
const SEED = 'snEZ8QEQrpL8vWPzDF1qtAmoH8La3';
const NODE_KEY = 'n9LKZDoJYRqfbzDovxPWWU8BFJEfpbGMuyWhe6SmCrpAN7u7DR7h';

/** Joins lines, so that line numbers in tests are easy to count. */
const cfg = (...lines: string[]): string => lines.join('\n');

function configError(text: string): ConfigError {
  try {
    parseConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function expectError(text: string, message: string, line?: number, stanza?: string): void {
  const err = configError(text);
  expect(err.message).toBe(message);
  expect(err.file).toBe('rippled.cfg');
  expect(err.line).toBe(line);
  expect(err.stanza).toBe(stanza);
}

// ---------------------------------------------------------------------------------------

describe('stanza file format', () => {
  it('splits stanzas, trims lines and skips comments and blank lines', () => {
    const file = parseStanzas(cfg('# comment', '', '[ips]', '  r.ripple.com 51235  ', '   # indented comment', '', '[peers_max]', '21'));
    expect([...file.stanzas.keys()]).toEqual(['ips', 'peers_max']);
    expect(file.stanzas.get('ips')!.lines).toEqual([{ text: 'r.ripple.com 51235', line: 4 }]);
    expect(file.stanzas.get('ips')!.line).toBe(3);
    expect(file.stanzas.get('peers_max')!.values).toEqual([{ text: '21', line: 8 }]);
  });

  it('accepts \\r\\n and \\r line ends', () => {
    const file = parseStanzas('[a]\r\none\r\n[b]\rtwo\r');
    expect(file.stanzas.get('a')!.lines).toEqual([{ text: 'one', line: 2 }]);
    expect(file.stanzas.get('b')!.lines).toEqual([{ text: 'two', line: 4 }]);
  });

  it('cuts trailing comments, keeping \\# as a literal #', () => {
    expect(stripTrailingComment('21 # the default')).toBe('21');
    expect(stripTrailingComment('a\\#b # c')).toBe('a#b');
    const file = parseStanzas(cfg('[ips]', 'r.ripple.com 51235 # hub', '[x]', 'key = v # note'));
    expect(file.stanzas.get('ips')!.lines[0]!.text).toBe('r.ripple.com 51235');
    expect(file.stanzas.get('x')!.entries.get('key')!.value).toBe('v');
  });

  it('sees a header followed by a comment', () => {
    const file = parseStanzas(cfg('[ips] # bootstrap', 'r.ripple.com'));
    expect(file.stanzas.get('ips')!.lines).toHaveLength(1);
  });

  it('keeps key = value lines apart from plain values; the last assignment wins', () => {
    const file = parseStanzas(cfg('[crawl]', '0', 'overlay = 1', 'overlay=0', 'not a key = x', 'empty ='));
    const crawl = file.stanzas.get('crawl')!;
    expect(crawl.entries.get('overlay')).toEqual({ key: 'overlay', value: '0', line: 4 });
    expect(crawl.values.map((v) => v.text)).toEqual(['0', 'not a key = x', 'empty =']);
    expect(crawl.lines).toHaveLength(5);
  });

  it('merges a stanza given twice and keeps lines before any header apart', () => {
    const file = parseStanzas(cfg('stray', '[ips]', 'a.example.com', '[peers_max]', '5', '[ips]', 'b.example.com'));
    expect(file.preamble).toEqual([{ text: 'stray', line: 1 }]);
    expect(file.stanzas.get('ips')!.lines.map((l) => l.text)).toEqual(['a.example.com', 'b.example.com']);
  });

  it('treats stanza names as case sensitive', () => {
    const c = parseConfig(cfg('[IPS]', 'r.ripple.com'));
    expect(c.ips).toEqual([]);
    expect(c.ignored).toContainEqual({ stanza: 'IPS', line: 1, reason: 'unknown' });
  });
});

// ---------------------------------------------------------------------------------------

describe('defaults', () => {
  it('an empty file gives a peer port on 0.0.0.0:51235 and rippled defaults', () => {
    const c = parseConfig('');
    expect(c.peerPort).toEqual({ name: 'port_peer', ip: '0.0.0.0', port: 51235, protocols: ['peer'], admin: [] });
    expect(c.ports).toEqual([c.peerPort]);
    expect(c.adminRpc).toBeUndefined();
    expect(c.adminWs).toBeUndefined();
    expect(c.ips).toEqual([]);
    expect(c.ipsFixed).toEqual([]);
    expect(c.peerPrivate).toBe(false);
    expect(c.peersMax).toBe(21);
    expect(c.peersInMax).toBeUndefined();
    expect(c.peersOutMax).toBeUndefined();
    expect(c.nodeSeed).toBeUndefined();
    expect(c.networkId).toBeUndefined();
    expect(c.serverDomain).toBeUndefined();
    expect(c.clusterNodes).toEqual([]);
    expect(c.crawl).toEqual({ enabled: true, overlay: true, server: true, counts: false, unl: true, privatePeers: 'hide', snapshotMs: 1000 });
    expect(c.overlay).toEqual({ ipLimit: 0, maxUnknownTime: 600_000, maxDivergedTime: 300_000, verifyEndpoints: true });
    expect(c.vlEnabled).toBe(true);
    expect(c.compression).toBe(false);
    expect(c.ledgerReplay).toBe(false);
    expect(c.databasePath).toBeUndefined();
    expect(c.debugLogfile).toBeUndefined();
    expect(c.timers).toEqual(defaultTimers());
    expect(c.ignored).toEqual([]);
  });

  it('defaultConfig() matches an empty file', () => {
    expect({ ...defaultConfig(), file: '' }).toEqual({ ...parseConfig(''), file: '' });
  });

  it('timers default to rippled values', () => {
    const t = defaultTimers();
    expect(t.pingInterval).toBe(60_000);
    expect(t.connectTimeout).toBe(25_000);
    expect(t.tcpConnectTimeout).toBe(8_000);
    expect(t.tlsHandshakeTimeout).toBe(8_000);
    expect(t.httpWriteTimeout).toBe(3_000);
    expect(t.httpReadTimeout).toBe(3_000);
    expect(t.inboundHandshakeTimeout).toBe(30_000);
    expect(t.fixedBackoffMin).toBe(60_000);
    expect(t.fixedBackoffMax).toBe(3_300_000);
    expect(t.endpointsInterval).toBe(151_000);
    expect(t.livecacheTtl).toBe(30_000);
    expect(t.autoconnectInterval).toBe(1_000);
    expect(t.maxConnectAttempts).toBe(20);
    expect(t.recentAttemptInterval).toBe(60_000);
    expect(t.bootcacheSize).toBe(1000);
    expect(t.redirectIps).toBe(30);
    expect(t.redirectIpsSent).toBe(10);
    expect(t.maxHops).toBe(6);
    expect(t.endpointsPerMessage).toBe(12);
    expect(t.endpointsMaxReceived).toBe(64);
    expect(t.maxHeaderBytes).toBe(8192);
    expect(t.hashRouterHoldTime).toBe(300_000);
    expect(t.hashRouterRelayTime).toBe(30_000);
  });

  it('every timer row is consistent', () => {
    const keys = new Set<string>();
    for (const row of TIMER_ROWS) {
      expect(keys.has(row.key)).toBe(false);
      keys.add(row.key);
      expect(row.min).toBeLessThanOrEqual(row.default);
      expect(row.default).toBeLessThanOrEqual(row.max);
      expect(row.doc.length).toBeGreaterThan(10);
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('ports', () => {
  const full = cfg(
    '[server]', //                                  1
    'port_peer', //                                 2
    'port_rpc_admin_local', //                      3
    'port_ws_admin_local', //                       4
    '[port_peer]', //                               5
    'port = 51235', //                              6
    'ip = ::', //                                   7
    'protocol = peer', //                           8
    'ssl_key = /k.pem', //                          9
    'ssl_cert = /c.pem', //                        10
    'ssl_chain = /ch.pem', //                      11
    '[port_rpc_admin_local]', //                   12
    'port = 5005', //                              13
    'ip = 127.0.0.1', //                           14
    'admin = 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8', // 15
    'protocol = http', //                          16
    '[port_ws_admin_local]', //                    17
    'port = 6006', //                              18
    'ip = 127.0.0.1', //                           19
    'admin = 127.0.0.1', //                        20
    'protocol = WS, wss', //                       21
    'user = ignored', //                           22
  );

  it('reads the ports [server] lists', () => {
    const c = parseConfig(full);
    expect(c.ports.map((p) => p.name)).toEqual(['port_peer', 'port_rpc_admin_local', 'port_ws_admin_local']);
    expect(c.peerPort).toEqual({
      name: 'port_peer', ip: '::', port: 51235, protocols: ['peer'], admin: [],
      sslKey: '/k.pem', sslCert: '/c.pem', sslChain: '/ch.pem',
    });
    expect(c.adminRpc).toEqual({
      name: 'port_rpc_admin_local', ip: '127.0.0.1', port: 5005, protocols: ['http'],
      admin: ['127.0.0.1/32', '10.0.0.0/8', '::1/128', 'fd00::/8'],
    });
    expect(c.adminWs!.protocols).toEqual(['ws', 'wss']);
    // `user` is rippled's (Port.cpp) and of no use here: listed as unused, not as unknown.
    expect(c.ignored).toEqual([{ stanza: 'port_ws_admin_local', line: 22, key: 'user', reason: 'unused' }]);
  });

  it('ignores a port stanza [server] does not list', () => {
    const c = parseConfig(cfg('[server]', 'port_peer', '[port_peer]', 'port = 51235', 'ip = 0.0.0.0', 'protocol = peer',
      '[port_rpc_admin_local]', 'port = 5005', 'ip = 127.0.0.1', 'protocol = http'));
    expect(c.adminRpc).toBeUndefined();
    expect(c.ports).toHaveLength(1);
    expect(c.ignored).toEqual([{ stanza: 'port_rpc_admin_local', line: 7, reason: 'not-in-server' }]);
  });

  it('the peer port need not be called port_peer', () => {
    const c = parseConfig(cfg('[server]', 'my_peers', '[my_peers]', 'port = 2459', 'ip = 192.0.2.1', 'protocol = peer, https'));
    expect(c.peerPort).toMatchObject({ name: 'my_peers', port: 2459, protocols: ['peer', 'https'] });
  });

  it('applies [server] keys to every listed port', () => {
    const c = parseConfig(cfg('[server]', 'port_peer', 'port_rpc_admin_local', 'ip = 127.0.0.1', 'admin = 127.0.0.1',
      '[port_peer]', 'port = 51235', 'protocol = peer',
      '[port_rpc_admin_local]', 'port = 5005', 'protocol = http', 'admin = 10.0.0.0/8'));
    expect(c.peerPort).toMatchObject({ ip: '127.0.0.1', admin: ['127.0.0.1/32'] });
    expect(c.adminRpc).toMatchObject({ ip: '127.0.0.1', admin: ['127.0.0.1/32', '10.0.0.0/8'] });
  });

  it('skips port_grpc in [server]', () => {
    const c = parseConfig(cfg('[server]', 'port_peer', 'port_grpc', '[port_peer]', 'port = 51235', 'ip = 0.0.0.0', 'protocol = peer',
      '[port_grpc]', 'port = 50051', 'ip = 127.0.0.1'));
    expect(c.ports.map((p) => p.name)).toEqual(['port_peer']);
    expect(c.ignored).toEqual([{ stanza: 'port_grpc', line: 8, reason: 'unused' }]);
  });

  it('short form: [port_peer] without [server], with defaults for missing keys', () => {
    const c = parseConfig(cfg('[port_peer]', 'port = 51236'));
    expect(c.peerPort).toEqual({ name: 'port_peer', ip: '0.0.0.0', port: 51236, protocols: ['peer'], admin: [] });
    const d = parseConfig(cfg('[port_peer]', 'ip = 127.0.0.2', '[port_rpc_admin_local]', 'port = 5005', 'ip = 127.0.0.2',
      'admin = 127.0.0.1, 127.0.0.2', 'protocol = http', '[port_ws_public]', 'port = 6005', 'ip = 0.0.0.0', 'protocol = ws'));
    expect(d.peerPort).toMatchObject({ ip: '127.0.0.2', port: 51235 });
    expect(d.adminRpc).toMatchObject({ port: 5005, admin: ['127.0.0.1/32', '127.0.0.2/32'] });
    expect(d.ignored).toEqual([{ stanza: 'port_ws_public', line: 8, reason: 'not-in-server' }]);
  });

  it('short form: admin ports alone still get the default peer port', () => {
    const c = parseConfig(cfg('[port_ws_admin_local]', 'port = 6006', 'ip = 127.0.0.1', 'protocol = ws'));
    expect(c.peerPort).toMatchObject({ ip: '0.0.0.0', port: 51235 });
    expect(c.adminWs).toMatchObject({ port: 6006 });
  });

  it('admin: 0.0.0.0 or :: allows every address', () => {
    expect(parseAdminList('0.0.0.0')).toEqual(['0.0.0.0/0', '::/0']);
    expect(parseAdminList('127.0.0.1, ::')).toEqual(['0.0.0.0/0', '::/0']);
    expect(parseAdminList('192.168.0.0/16, 2001:db8::/32')).toEqual(['192.168.0.0/16', '2001:db8::/32']);
  });

  it('errors name the stanza and line', () => {
    expectError(cfg('[server]', 'port_peer', 'port_rpc', '[port_peer]', 'port = 1', 'ip = 0.0.0.0', 'protocol = peer'),
      "rippled.cfg:3: [server]: lists [port_rpc], which is not in the file", 3, 'server');
    expectError(cfg('[server]', 'port_peer', 'port_peer', '[port_peer]'),
      'rippled.cfg:3: [server]: [port_peer] is listed twice', 3, 'server');
    expectError(cfg('[port_peer]', 'port = abc'),
      "rippled.cfg:2: [port_peer]: port: expected 1-65535, got 'abc'", 2, 'port_peer');
    expectError(cfg('[port_peer]', 'port = 0'), "rippled.cfg:2: [port_peer]: port: expected 1-65535, got '0'", 2, 'port_peer');
    expectError(cfg('[port_peer]', 'port = 65536'), "rippled.cfg:2: [port_peer]: port: expected 1-65535, got '65536'", 2, 'port_peer');
    expectError(cfg('[port_peer]', 'ip = localhost'),
      "rippled.cfg:2: [port_peer]: ip: expected an IPv4 or IPv6 address, got 'localhost'", 2, 'port_peer');
    expectError(cfg('[port_peer]', 'protocol = peer, gopher'),
      "rippled.cfg:2: [port_peer]: protocol: unknown protocol 'gopher' (known: peer, http, https, ws, wss, ws2, wss2)", 2, 'port_peer');
    expectError(cfg('[port_rpc_admin_local]', 'ip = 127.0.0.1', 'protocol = http'),
      "rippled.cfg:1: [port_rpc_admin_local]: missing 'port'", 1, 'port_rpc_admin_local');
    expectError(cfg('[server]', 'port_x', '[port_x]', 'port = 5', 'protocol = http'),
      "rippled.cfg:3: [port_x]: missing 'ip'", 3, 'port_x');
  });

  it('rejects bad admin entries', () => {
    expectError(cfg('[port_peer]', 'admin = 10.1.2.3/24'),
      "rippled.cfg:2: [port_peer]: admin: '10.1.2.3/24' is not a network address (bits after /24 must be 0)", 2, 'port_peer');
    expectError(cfg('[port_peer]', 'admin = fd00::1/8'),
      "rippled.cfg:2: [port_peer]: admin: 'fd00::1/8' is not a network address (bits after /8 must be 0)", 2, 'port_peer');
    expectError(cfg('[port_peer]', 'admin = 127.0.0.1, localhost'),
      "rippled.cfg:2: [port_peer]: admin: 'localhost' is neither an IP address nor a subnet", 2, 'port_peer');
    expectError(cfg('[port_peer]', 'admin = 10.0.0.0/33'),
      "rippled.cfg:2: [port_peer]: admin: prefix /33 is too long in '10.0.0.0/33'", 2, 'port_peer');
  });

  it('needs exactly one peer port', () => {
    expectError(cfg('[server]', 'port_rpc', '[port_rpc]', 'port = 5005', 'ip = 127.0.0.1', 'protocol = http'),
      "rippled.cfg:1: [server]: no port in use has protocol 'peer'", 1, 'server');
    expectError(cfg('[server]', 'a', 'b', '[a]', 'port = 1', 'ip = ::', 'protocol = peer', '[b]', 'port = 2', 'ip = ::', 'protocol = peer'),
      "rippled.cfg:1: [server]: more than one port has protocol 'peer': [a], [b]", 1, 'server');
  });
});

// ---------------------------------------------------------------------------------------

describe('[ips] and [ips_fixed]', () => {
  it('reads every entry format', () => {
    const c = parseConfig(cfg(
      '[ips]',
      'r.ripple.com 51235',
      'r.ripple.com:51235',
      'r.ripple.com',
      '192.0.2.1 51235',
      '192.0.2.1:2459',
      '192.0.2.1',
      '::1 51235',
      '[::1]:51235',
      '[2001:db8::1] 51236',
      '2001:db8::1',
      '::ffff:192.0.2.1 51235',
      'hub.example.com.   51235',
      'host 0',
    ));
    expect(c.ips).toEqual([
      { host: 'r.ripple.com', port: 51235 },
      { host: 'r.ripple.com', port: 51235 },
      { host: 'r.ripple.com', port: 2459 },
      { host: '192.0.2.1', port: 51235 },
      { host: '192.0.2.1', port: 2459 },
      { host: '192.0.2.1', port: 2459 },
      { host: '::1', port: 51235 },
      { host: '::1', port: 51235 },
      { host: '2001:db8::1', port: 51236 },
      { host: '2001:db8::1', port: 2459 },
      { host: '::ffff:192.0.2.1', port: 51235 },
      { host: 'hub.example.com.', port: 51235 },
      { host: 'host', port: 2459 },
    ]);
  });

  it('reads [ips_fixed] the same way', () => {
    const c = parseConfig(cfg('[ips_fixed]', '127.0.0.2 51235', 'hub.example.net:51235'));
    expect(c.ipsFixed).toEqual([{ host: '127.0.0.2', port: 51235 }, { host: 'hub.example.net', port: 51235 }]);
  });

  it('reports bad entries with file, line and stanza', () => {
    expectError(cfg('[ips]', 'ok.example.com 1', '[ips_fixed]', 'a.example.com 1', 'r.ripple.com abc'),
      "rippled.cfg:5: [ips_fixed]: bad port 'abc' in 'r.ripple.com abc'", 5, 'ips_fixed');
    expectError(cfg('[ips]', 'r.ripple.com:'), "rippled.cfg:2: [ips]: bad port '' in 'r.ripple.com:'", 2, 'ips');
    expectError(cfg('[ips]', 'r.ripple.com 70000'), "rippled.cfg:2: [ips]: bad port '70000' in 'r.ripple.com 70000'", 2, 'ips');
    expectError(cfg('[ips]', 'a b c'), "rippled.cfg:2: [ips]: expected 'host port' or 'host:port', got 'a b c'", 2, 'ips');
    expectError(cfg('[ips]', 'bad_host 1'), "rippled.cfg:2: [ips]: bad host 'bad_host' in 'bad_host 1'", 2, 'ips');
    expectError(cfg('[ips]', '1.2.3 51235'), "rippled.cfg:2: [ips]: bad host '1.2.3' in '1.2.3 51235'", 2, 'ips');
    expectError(cfg('[ips]', '[192.0.2.1]:1'), "rippled.cfg:2: [ips]: bad IPv6 address '[192.0.2.1]' in '[192.0.2.1]:1'", 2, 'ips');
  });

  it('parseEndpoint is usable on its own', () => {
    expect(parseEndpoint(' [fe80::1]:5 ')).toEqual({ host: 'fe80::1', port: 5 });
    expect(() => parseEndpoint('x y z')).toThrow("expected 'host port' or 'host:port', got 'x y z'");
  });
});

// ---------------------------------------------------------------------------------------

describe('peers', () => {
  it('reads [peer_private]', () => {
    expect(parseConfig(cfg('[peer_private]', '1')).peerPrivate).toBe(true);
    expect(parseConfig(cfg('[peer_private]', '0')).peerPrivate).toBe(false);
    expect(parseConfig(cfg('[peer_private]', 'TRUE')).peerPrivate).toBe(true);
    expectError(cfg('[peer_private]', 'yes'), "rippled.cfg:2: [peer_private]: expected 0 or 1, got 'yes'", 2, 'peer_private');
  });

  it('reads [peers_max]', () => {
    expect(parseConfig(cfg('[peers_max]', '40')).peersMax).toBe(40);
    expectError(cfg('[ips]', 'a.example.com', '', '[peers_max]', 'twenty'),
      "rippled.cfg:5: [peers_max]: expected a non-negative integer, got 'twenty'", 5, 'peers_max');
    expectError(cfg('[peers_max]', '-1'), "rippled.cfg:2: [peers_max]: expected a non-negative integer, got '-1'", 2, 'peers_max');
  });

  it('a one-value stanza with two lines is an error', () => {
    expectError(cfg('[peers_max]', '21', '22'), 'rippled.cfg:3: [peers_max]: expected one value, got 2 lines', 3, 'peers_max');
  });

  it('reads [peers_in_max] and [peers_out_max] together', () => {
    const c = parseConfig(cfg('[peers_in_max]', '40', '[peers_out_max]', '12'));
    expect(c.peersInMax).toBe(40);
    expect(c.peersOutMax).toBe(12);
  });

  it('needs both or neither', () => {
    expectError(cfg('[peers_in_max]', '40'),
      'rippled.cfg:2: [peers_in_max]: needs [peers_out_max] too: set both or neither', 2, 'peers_in_max');
    expectError(cfg('[peers_out_max]', '40'),
      'rippled.cfg:2: [peers_out_max]: needs [peers_in_max] too: set both or neither', 2, 'peers_out_max');
  });

  it('checks their ranges as rippled does', () => {
    expectError(cfg('[peers_in_max]', '1001', '[peers_out_max]', '10'),
      'rippled.cfg:2: [peers_in_max]: must be at most 1000, got 1001', 2, 'peers_in_max');
    expectError(cfg('[peers_in_max]', '0', '[peers_out_max]', '9'),
      'rippled.cfg:4: [peers_out_max]: must be between 10 and 1000, got 9', 4, 'peers_out_max');
    expect(parseConfig(cfg('[peers_in_max]', '0', '[peers_out_max]', '1000')).peersInMax).toBe(0);
  });

  it('[peers_max] wins over [peers_in_max]/[peers_out_max]', () => {
    const c = parseConfig(cfg('[peers_max]', '30', '[peers_in_max]', '5000', '[peers_out_max]', '1'));
    expect(c.peersMax).toBe(30);
    expect(c.peersInMax).toBeUndefined();
    expect(c.peersOutMax).toBeUndefined();
    expect(c.ignored).toEqual([
      { stanza: 'peers_in_max', line: 3, reason: 'overridden' },
      { stanza: 'peers_out_max', line: 5, reason: 'overridden' },
    ]);
  });

  it('reads [cluster_nodes] with and without names', () => {
    const other = 'n9MD5h24qrQqiyBC8aeqqCWvpiBiYQ3jxSr91uiDvmrkyHRdYLUj';
    const c = parseConfig(cfg('[cluster_nodes]', `${NODE_KEY}   hub one  `, other, `${NODE_KEY} again`));
    expect(c.clusterNodes).toEqual([{ publicKey: NODE_KEY, name: 'hub one' }, { publicKey: other }]);
  });

  it('rejects malformed [cluster_nodes] lines', () => {
    expectError(cfg('[cluster_nodes]', `${NODE_KEY},hub`),
      `rippled.cfg:2: [cluster_nodes]: expected 'n9... [name]', got '${NODE_KEY},hub'`, 2, 'cluster_nodes');
    expectError(cfg('[cluster_nodes]', 'n9notakey name'),
      "rippled.cfg:2: [cluster_nodes]: 'n9notakey' is not a node public key (n9...)", 2, 'cluster_nodes');
    expectError(cfg('[cluster_nodes]', 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh'),
      "rippled.cfg:2: [cluster_nodes]: 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh' is not a node public key (n9...)", 2, 'cluster_nodes');
  });
});

// ---------------------------------------------------------------------------------------

describe('identity and network', () => {
  it('reads [node_seed]', () => {
    expect(parseConfig(cfg('[node_seed]', SEED)).nodeSeed).toBe(SEED);
    expectError(cfg('[node_seed]', 'sNotASeed'), "rippled.cfg:2: [node_seed]: expected a base58 seed (s...), got 'sNotASeed'", 2, 'node_seed');
    const ed = encodeSeed(new Uint8Array(16).fill(7), 'ed25519');
    expectError(cfg('[node_seed]', ed), 'rippled.cfg:2: [node_seed]: expected a secp256k1 family seed, got an ed25519 seed', 2, 'node_seed');
  });

  it('reads [network_id] names and numbers', () => {
    const id = (v: string): number | undefined => parseConfig(cfg('[network_id]', v)).networkId;
    expect(id('main')).toBe(0);
    expect(id('testnet')).toBe(1);
    expect(id('devnet')).toBe(2);
    expect(id('21337')).toBe(21337);
    expect(id('4294967295')).toBe(4294967295);
    const bad = "expected a number (0-4294967295) or main, testnet or devnet, got";
    expectError(cfg('[network_id]', 'mainnet'), `rippled.cfg:2: [network_id]: ${bad} 'mainnet'`, 2, 'network_id');
    expectError(cfg('[network_id]', '4294967296'), `rippled.cfg:2: [network_id]: ${bad} '4294967296'`, 2, 'network_id');
    expectError(cfg('[network_id]', 'Main'), `rippled.cfg:2: [network_id]: ${bad} 'Main'`, 2, 'network_id');
  });

  it('reads [server_domain]', () => {
    expect(parseConfig(cfg('[server_domain]', 'example.com')).serverDomain).toBe('example.com');
    expect(parseConfig(cfg('[server_domain]', 'a-b.c9.example.org')).serverDomain).toBe('a-b.c9.example.org');
    for (const bad of ['localhost', 'a.b', '-a.example.com', 'example.c0m', 'exa mple.com']) {
      expect(configError(cfg('[server_domain]', bad)).message).toBe(
        `rippled.cfg:2: [server_domain]: '${bad}' is not a domain name like example.com`,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------

describe('peer protocol stanzas', () => {
  it('reads [compression], [ledger_replay] and [vl]', () => {
    const c = parseConfig(cfg('[compression]', '1', '[ledger_replay]', 'true', '[vl]', 'enabled = 0'));
    expect(c.compression).toBe(true);
    expect(c.ledgerReplay).toBe(true);
    expect(c.vlEnabled).toBe(false);
  });

  it('reads [crawl] as a single 0/1 line', () => {
    expect(parseConfig(cfg('[crawl]', '0')).crawl.enabled).toBe(false);
    expect(parseConfig(cfg('[crawl]', '1')).crawl.enabled).toBe(true);
    expectError(cfg('[crawl]', 'true'), "rippled.cfg:2: [crawl]: expected 0 or 1, got 'true'", 2, 'crawl');
    expectError(cfg('[crawl]', '1', '0'), 'rippled.cfg:3: [crawl]: expected at most one value (0 or 1), got 2', 3, 'crawl');
  });

  it('reads [crawl] keys', () => {
    const c = parseConfig(cfg('[crawl]', 'overlay = 1', 'server = 0', 'counts = 1', 'unl = 0', 'private_peers = hide_address'));
    expect(c.crawl).toEqual({ enabled: true, overlay: true, server: false, counts: true, unl: false, privatePeers: 'hide_address', snapshotMs: 1000 });
    const off = parseConfig(cfg('[crawl]', 'overlay = 0', 'server = 0', 'unl = 0'));
    expect(off.crawl.enabled).toBe(false);
    expectError(cfg('[crawl]', 'counts = maybe'), "rippled.cfg:2: [crawl]: counts: expected 0 or 1, got 'maybe'", 2, 'crawl');
    expectError(cfg('[crawl]', 'private_peers = show'),
      "rippled.cfg:2: [crawl]: private_peers: expected hide or hide_address, got 'show'", 2, 'crawl');
  });

  it('reads [overlay]', () => {
    const c = parseConfig(cfg('[overlay]', 'ip_limit = 3', 'public_ip = 203.0.113.7', 'verify_endpoints = 0',
      'max_unknown_time = 300', 'max_diverged_time = 900'));
    expect(c.overlay).toEqual({ ipLimit: 3, publicIp: '203.0.113.7', maxUnknownTime: 300_000, maxDivergedTime: 900_000, verifyEndpoints: false });
    expect(c.timers.maxUnknownTime).toBe(300_000);
  });

  it('rejects a private public_ip and a negative ip_limit', () => {
    for (const ip of ['10.1.2.3', '192.168.1.1', '172.16.0.1', '127.0.0.1', '0.0.0.0', '::1', 'fd00::1', '::ffff:10.0.0.1', 'host.example.com']) {
      expect(configError(cfg('[overlay]', `public_ip = ${ip}`)).message).toBe(
        `rippled.cfg:2: [overlay]: public_ip: expected a public IP address, got '${ip}'`,
      );
    }
    expect(parseConfig(cfg('[overlay]', 'public_ip = 2001:db8::7')).overlay.publicIp).toBe('2001:db8::7');
    expectError(cfg('[overlay]', 'ip_limit = -1'), "rippled.cfg:2: [overlay]: ip_limit: expected a non-negative integer, got '-1'", 2, 'overlay');
  });

  it('checks max_unknown_time and max_diverged_time ranges', () => {
    expectError(cfg('[overlay]', 'max_unknown_time = 299'),
      "rippled.cfg:2: [overlay]: max_unknown_time: 299 s is out of range 300-1800 s", 2, 'overlay');
    expectError(cfg('[overlay]', 'max_unknown_time = 1801'),
      "rippled.cfg:2: [overlay]: max_unknown_time: 1801 s is out of range 300-1800 s", 2, 'overlay');
    expectError(cfg('[overlay]', 'max_diverged_time = 59'),
      "rippled.cfg:2: [overlay]: max_diverged_time: 59 s is out of range 60-900 s", 2, 'overlay');
    expectError(cfg('[overlay]', 'max_diverged_time = soon'),
      "rippled.cfg:2: [overlay]: max_diverged_time: expected a number of seconds, got 'soon'", 2, 'overlay');
  });

  it('reads [reduce_relay]', () => {
    const c = parseConfig(cfg('[reduce_relay]', 'tx_enable = 1', 'tx_metrics = 1', 'tx_min_peers = 10',
      'tx_relay_percentage = 100', 'vp_base_squelch_enable = 1', 'vp_base_squelch_max_selected_peers = 3'));
    expect(c.reduceRelay).toEqual({
      txEnable: true, txMetrics: true, txMinPeers: 10, txRelayPercentage: 100,
      vpBaseSquelchEnable: true, vpBaseSquelchMaxSelectedPeers: 3,
    });
    expect(parseConfig(cfg('[reduce_relay]', 'vp_enable = 1')).reduceRelay.vpBaseSquelchEnable).toBe(true);
  });

  it('checks [reduce_relay] as rippled does', () => {
    expectError(cfg('[reduce_relay]', 'vp_base_squelch_enable = 1', 'vp_enable = 1'),
      'rippled.cfg:3: [reduce_relay]: vp_enable is the old name of vp_base_squelch_enable: set only one of them', 3, 'reduce_relay');
    expectError(cfg('[reduce_relay]', 'tx_min_peers = 9'),
      'rippled.cfg:2: [reduce_relay]: tx_min_peers must be between 10 and 9007199254740991, got 9', 2, 'reduce_relay');
    expectError(cfg('[reduce_relay]', 'tx_relay_percentage = 101'),
      'rippled.cfg:2: [reduce_relay]: tx_relay_percentage must be between 10 and 100, got 101', 2, 'reduce_relay');
    expectError(cfg('[reduce_relay]', 'vp_base_squelch_max_selected_peers = 2'),
      'rippled.cfg:2: [reduce_relay]: vp_base_squelch_max_selected_peers must be between 3 and 9007199254740991, got 2', 2, 'reduce_relay');
  });

  it('reads [database_path] and [debug_logfile] as written', () => {
    const c = parseConfig(cfg('[database_path]', './.data/hub', '[debug_logfile]', 'log/debug.log'));
    expect(c.databasePath).toBe('./.data/hub');
    expect(c.debugLogfile).toBe('log/debug.log');
  });
});

// ---------------------------------------------------------------------------------------

describe('timers', () => {
  it('takes overrides in seconds, fractions allowed, and stores milliseconds', () => {
    const c = parseConfig(cfg('[overlay]', 'ping_interval = 0.2', 'connect_timeout = 2.5', 'fixed_backoff_min = .05',
      'fixed_backoff_max = 1', '[peerfinder]', 'endpoints_interval = 1', 'max_connect_attempts = 3', 'livecache_ttl = +5',
      '[hashrouter]', 'hold_time = 12', 'relay_time = 8'));
    expect(c.timers).toMatchObject({
      pingInterval: 200, connectTimeout: 2500, fixedBackoffMin: 50, fixedBackoffMax: 1000,
      endpointsInterval: 1000, maxConnectAttempts: 3, livecacheTtl: 5000,
      hashRouterHoldTime: 12_000, hashRouterRelayTime: 8_000,
    });
    expect(c.timers.tcpConnectTimeout).toBe(8000);
  });

  it('rejects values out of range or unreadable', () => {
    expectError(cfg('[overlay]', 'ping_interval = 0'),
      'rippled.cfg:2: [overlay]: ping_interval: 0 s is out of range 0.01-3600 s', 2, 'overlay');
    expectError(cfg('[overlay]', 'ping_interval = 1m'),
      "rippled.cfg:2: [overlay]: ping_interval: expected a number of seconds, got '1m'", 2, 'overlay');
    expectError(cfg('[peerfinder]', 'max_connect_attempts = 2.5'),
      "rippled.cfg:2: [peerfinder]: max_connect_attempts: expected a non-negative integer, got '2.5'", 2, 'peerfinder');
    expectError(cfg('[peerfinder]', 'bootcache_prune_percent = 101'),
      'rippled.cfg:2: [peerfinder]: bootcache_prune_percent: 101 is out of range 1-100', 2, 'peerfinder');
    expectError(cfg('[hashrouter]', 'hold_time = 11'),
      'rippled.cfg:2: [hashrouter]: hold_time: 11 s is out of range 12-86400 s', 2, 'hashrouter');
    expectError(cfg('[overlay]', 'max_header_bytes = 100'),
      'rippled.cfg:2: [overlay]: max_header_bytes: 100 is out of range 1024-1048576', 2, 'overlay');
  });

  it('checks that lower bounds stay below upper ones', () => {
    expectError(cfg('[overlay]', 'fixed_backoff_min = 4000'),
      'rippled.cfg:2: [overlay]: fixed_backoff_min (4000 s) must not exceed fixed_backoff_max (3300 s)', 2, 'overlay');
    expectError(cfg('[hashrouter]', 'hold_time = 20', 'relay_time = 30'),
      'rippled.cfg:3: [hashrouter]: relay_time (30 s) must not exceed hold_time (20 s)', 3, 'hashrouter');
  });

  it('refuses unknown keys in [peerfinder], which is ours', () => {
    const err = configError(cfg('[peerfinder]', 'endpoint_interval = 1'));
    expect(err.message).toMatch(/^rippled\.cfg:2: \[peerfinder\]: unknown key 'endpoint_interval' \(known: endpoints_interval, /);
    expectError(cfg('[peerfinder]', 'fast'), "rippled.cfg:2: [peerfinder]: expected 'key = value', got 'fast'", 2, 'peerfinder');
  });

  it('reports unknown [overlay] keys without failing', () => {
    const c = parseConfig(cfg('[overlay]', 'ping_intervall = 1', 'max_trusted_count = 10', 'ip_limit = 2'));
    expect(c.ignored).toEqual([
      { stanza: 'overlay', line: 2, key: 'ping_intervall', reason: 'unknown' },
      { stanza: 'overlay', line: 3, key: 'max_trusted_count', reason: 'unused' },
    ]);
  });
});

// ---------------------------------------------------------------------------------------

describe('ignored stanzas', () => {
  it('lists stanzas we do not use, with the reason', () => {
    const c = parseConfig(cfg('stray line', '[node_db]', 'type=NuDB', '[sntp_servers]', 'time.example.com',
      '[ssl_verify]', '1', '[my_typo]', 'x', '[ips]', 'r.ripple.com 51235'));
    expect(c.ignored).toEqual([
      { stanza: '', line: 1, reason: 'outside-stanza' },
      { stanza: 'node_db', line: 2, reason: 'unused' },
      { stanza: 'sntp_servers', line: 4, reason: 'unused' },
      { stanza: 'ssl_verify', line: 6, reason: 'unused' },
      { stanza: 'my_typo', line: 8, reason: 'unknown' },
    ]);
  });
});

// ---------------------------------------------------------------------------------------

describe('slotLimits', () => {
  const withPeers = (text: string): Config => parseConfig(text);

  it('21 gives 10 out and 11 in', () => {
    expect(slotLimits(defaultConfig())).toEqual({ outMax: 10, inMax: 11, ipLimit: 2 });
    expect(slotLimits(withPeers(cfg('[peers_max]', '21')))).toMatchObject({ outMax: 10, inMax: 11 });
  });

  it('0 means the default', () => {
    expect(slotLimits(withPeers(cfg('[peers_max]', '0')))).toMatchObject({ outMax: 10, inMax: 11 });
  });

  it('small values are raised to 10, all outbound', () => {
    expect(slotLimits(withPeers(cfg('[peers_max]', '10')))).toEqual({ outMax: 10, inMax: 0, ipLimit: 1 });
    expect(slotLimits(withPeers(cfg('[peers_max]', '5')))).toEqual({ outMax: 10, inMax: 0, ipLimit: 1 });
  });

  it('100 gives 15 out and 85 in', () => {
    // ip limit: 2 + min(5, 85/21 = 4) = 6, within [1, 85/2].
    expect(slotLimits(withPeers(cfg('[peers_max]', '100')))).toEqual({ outMax: 15, inMax: 85, ipLimit: 6 });
    expect(slotLimits(withPeers(cfg('[peers_max]', '1000')))).toMatchObject({ outMax: 150, inMax: 850, ipLimit: 7 });
  });

  it('takes [peers_in_max]/[peers_out_max] as they are', () => {
    expect(slotLimits(withPeers(cfg('[peers_in_max]', '40', '[peers_out_max]', '12')))).toEqual({ outMax: 12, inMax: 40, ipLimit: 3 });
    expect(slotLimits(withPeers(cfg('[peers_in_max]', '0', '[peers_out_max]', '10')))).toMatchObject({ outMax: 10, inMax: 0 });
  });

  it('a private node has only outbound slots', () => {
    expect(slotLimits(withPeers(cfg('[peer_private]', '1')))).toMatchObject({ outMax: 21, inMax: 0 });
    expect(slotLimits(withPeers(cfg('[peer_private]', '1', '[peers_max]', '50')))).toMatchObject({ outMax: 50, inMax: 0 });
  });

  it('uses the configured ip_limit, kept within [1, in/2]', () => {
    expect(slotLimits(withPeers(cfg('[overlay]', 'ip_limit = 4'))).ipLimit).toBe(4);
    expect(slotLimits(withPeers(cfg('[overlay]', 'ip_limit = 9'))).ipLimit).toBe(5);
  });
});

// ---------------------------------------------------------------------------------------

describe('files', () => {
  it('a missing file is a ConfigError naming it', () => {
    const path = join(ROOT, 'no-such-dir', 'rippled.cfg');
    expect(() => loadConfig(path)).toThrow(ConfigError);
    expect(() => loadConfig(path)).toThrow(`${path}: cannot read the configuration file: no such file`);
  });

  it('errors from a loaded file carry its path', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'xrpl-overlay-config-')), 'node.cfg');
    writeFileSync(path, cfg('[peers_max]', 'many'));
    expect(() => loadConfig(path)).toThrow(`${path}:2: [peers_max]: expected a non-negative integer, got 'many'`);
  });

  it('rippled.cfg.example parses and documents every stanza and key we read', () => {
    const path = join(ROOT, 'rippled.cfg.example');
    const c = loadConfig(path);
    expect(c.peerPort).toMatchObject({ ip: '0.0.0.0', port: 51235 });
    expect(c.adminRpc).toMatchObject({ port: 5005 });
    expect(c.adminWs).toMatchObject({ port: 6006 });
    expect(c.ignored).toEqual([]);
    const text = readFileSync(path, 'utf8');
    const stanzas = [
      'server', 'port_peer', 'port_rpc_admin_local', 'port_ws_admin_local', 'ips', 'ips_fixed', 'peer_private',
      'peers_max', 'peers_in_max', 'peers_out_max', 'cluster_nodes', 'node_seed', 'network_id', 'server_domain',
      'overlay', 'compression', 'ledger_replay', 'reduce_relay', 'crawl', 'vl', 'peerfinder', 'hashrouter',
      'database_path', 'debug_logfile',
    ];
    for (const s of stanzas) expect(text, s).toContain(`[${s}]`);
    const keys = [
      'ip', 'port', 'protocol', 'admin', 'ssl_key', 'ssl_cert', 'ssl_chain', 'ip_limit', 'public_ip', 'verify_endpoints',
      'overlay', 'server', 'counts', 'unl', 'private_peers', 'enabled',
      ...TIMER_ROWS.map((row) => row.configKey),
    ];
    for (const k of keys) expect(text, k).toMatch(new RegExp(`^#?\\s*${k} = `, 'm'));
  });

  const examples = readdirSync(join(ROOT, 'config')).filter((f) => f.endsWith('.cfg'));

  it('has the four example configurations', () => {
    expect(examples.sort()).toEqual(['default.cfg', 'fixed-node.cfg', 'hub.cfg', 'private-node.cfg']);
  });

  it.each(examples)('config/%s parses cleanly', (name) => {
    const c = loadConfig(join(ROOT, 'config', name));
    expect(c.ignored).toEqual([]);
  });

  it('default.cfg is the built-in default', () => {
    const c = loadConfig(join(ROOT, 'config', 'default.cfg'));
    expect({ ...c, file: '' }).toEqual({ ...defaultConfig(), file: '' });
  });

  it('the three-node example is wired together', () => {
    const load = (name: string): Config => loadConfig(join(ROOT, 'config', `${name}.cfg`));
    const hub = load('hub');
    const fixed = load('fixed-node');
    const priv = load('private-node');
    expect(hub.peerPort).toMatchObject({ ip: '127.0.0.2', port: 51235 });
    expect(hub.peerPrivate).toBe(false);
    expect(hub.ips).toEqual([]);
    expect(hub.ipsFixed).toEqual([]);
    expect(fixed.peerPort).toMatchObject({ ip: '127.0.0.3', port: 51235 });
    expect(fixed.ipsFixed).toEqual([{ host: '127.0.0.2', port: 51235 }]);
    expect(priv.peerPort).toMatchObject({ ip: '127.0.0.4', port: 51235 });
    expect(priv.peerPrivate).toBe(true);
    expect(priv.ipsFixed).toEqual([{ host: '127.0.0.2', port: 51235 }]);
    for (const [c, ip, dir] of [[hub, '127.0.0.2', 'hub'], [fixed, '127.0.0.3', 'fixed-node'], [priv, '127.0.0.4', 'private-node']] as const) {
      expect(c.databasePath).toBe(`./.data/${dir}`);
      expect(c.adminRpc).toMatchObject({ ip, port: 5005, protocols: ['http'], admin: ['127.0.0.1/32', `${ip}/32`] });
      expect(c.adminWs).toMatchObject({ ip, port: 6006, protocols: ['ws'], admin: ['127.0.0.1/32', `${ip}/32`] });
    }
  });
});
