/**
 * Issue 10: what a hostile peer (or a damaged data directory) could still do, one test per item.
 * These run on in-memory streams and temp directories only; the socket-level cases are in
 * test/resistance.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { NodeIdentity, loadOrCreateNodeIdentity } from '../src/identity/node-key.js';
import { checkRelayItem } from '../src/relay/relay-checks.js';
import { Reservations } from '../src/overlay/reservations.js';
import { Bootcache } from '../src/peerfinder/bootcache.js';
import { parseConfig } from '../src/config/config.js';
import { readJsonState } from '../src/identity/state-file.js';
import { Peer, type PeerInfo, type PeerLog } from '../src/peer/peer.js';
import { encodeMessage, decodeMessage } from '../src/protocol/codec.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from '../src/protocol/framing.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import { HttpHeadReader, HttpHeadError } from '../src/protocol/http-head.js';
import { lz4CompressBlock } from '../src/protocol/lz4.js';
import { MessageType } from '../src/protocol/message-types.js';
import { PingType } from '../src/protocol/messages.js';

/** A socket stand-in: what we push is what the peer reads; what it writes is dropped. */
function fakeSocket(): Duplex {
  return new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
}

function peerInfo(compression = true): PeerInfo {
  return {
    publicKey: Buffer.alloc(33, 2),
    n9: 'n9test',
    direction: 'in',
    remoteIp: '127.0.110.250',
    remotePort: 1,
    version: 'test',
    protocol: { major: 2, minor: 2 },
    features: { ...NO_FEATURES, compression },
    crawl: '',
  } as PeerInfo;
}

function compressedFrame(type: number, block: Buffer, uncompressed: number): Buffer {
  const header = Buffer.alloc(10);
  header.writeUInt32BE((0x90000000 | block.length) >>> 0, 0);
  header.writeUInt16BE(type, 4);
  header.writeUInt32BE(uncompressed, 6);
  return Buffer.concat([header, block]);
}

const flush = () => new Promise((r) => setImmediate(r));

describe('1. LZ4 of an unknown type is skipped without decompressing it', () => {
  it('a compressed frame of type 999 with a body that is not LZ4 is skipped, not fatal', async () => {
    const socket = fakeSocket();
    const peer = new Peer(peerInfo(), socket, Buffer.alloc(0));
    peer.start();
    // 1,000 bytes of 0xff announce an expansion of 200,000 bytes that they cannot have.
    socket.push(compressedFrame(999, Buffer.alloc(1000, 0xff), 200_000));
    socket.push(encodeFrame(MessageType.PING, encodeMessage('PING', { type: PingType.PONG, seq: 1 })));
    await flush();
    expect(peer.closed).toBe(false);
    expect(peer.closeReason).toBeUndefined();
    peer.close({ reason: 'shutdown' });
  });

  it('the decoder hands an unread type back without its payload and without the work', () => {
    const decoder = new FrameDecoder({ compression: true, decompress: (type) => type !== 999 });
    const bomb = lz4CompressBlock(Buffer.alloc(8 * 1024 * 1024, 0x41));
    const started = performance.now();
    const frames = decoder.push(compressedFrame(999, bomb, 8 * 1024 * 1024));
    const elapsed = performance.now() - started;
    expect(frames).toHaveLength(1);
    expect(frames[0]!.type).toBe(999);
    expect(frames[0]!.payload.length).toBe(0);
    expect(frames[0]!.wireBytes).toBe(10 + bomb.length);
    // Decompressing 8 MiB takes ~35 ms here; skipping it a fraction of a millisecond. 30 ms of slack
    // for a loaded machine still tells them apart.
    expect(elapsed).toBeLessThan(30);
  });

  it('a peer that makes us decompress more than its budget per second is paused until the budget refills', async () => {
    let now = 0;
    const socket = fakeSocket();
    const peer = new Peer(peerInfo(), socket, Buffer.alloc(0), { decompressBytesPerSecond: 1024 * 1024, now: () => now });
    peer.start();
    const manifests = encodeMessage('MANIFESTS', { list: [{ stobject: Buffer.alloc(3 * 1024 * 1024, 0x41) }] });
    socket.push(encodeFrame(MessageType.MANIFESTS, manifests, true));
    await flush();
    expect(peer.closed).toBe(false);
    // 3 MiB at 1 MiB/s: about 2 s in debt; the socket is not read meanwhile.
    expect(socket.isPaused()).toBe(true);
    expect(peer.decompressionPauseMs).toBeGreaterThan(1900);
    expect(peer.decompressionPauseMs).toBeLessThanOrEqual(3000);
    now += 60_000;
    peer.close({ reason: 'shutdown' });
  });
});

describe('2. bytes that are not a transaction, validation or manifest are not relayed', () => {
  it('100,000 bytes of 0x07 as rawTransaction: not relayed, no charge beyond the message fee', () => {
    const raw = Buffer.alloc(100_000, 0x07);
    const payload = encodeMessage('TRANSACTION', { rawTransaction: raw, status: 1 });
    const check = checkRelayItem(decodeMessage(MessageType.TRANSACTION, payload), payload);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.reason).toMatch(/not a transaction/);
      expect(check.charge).toBeUndefined();
    }
  });

  it('a transaction shorter than rippled reads is not relayed', () => {
    const payload = encodeMessage('TRANSACTION', { rawTransaction: Buffer.from('120000', 'hex'), status: 1 });
    expect(checkRelayItem(decodeMessage(MessageType.TRANSACTION, payload), payload).ok).toBe(false);
  });

  it('a well-formed transaction with a field we do not know is still relayed', () => {
    // TransactionType 0, then a VL field of a number no one has defined (7/200), then Account.
    const raw = Buffer.concat([
      Buffer.from('120000', 'hex'),
      Buffer.from('70c8', 'hex'), Buffer.from([4, 1, 2, 3, 4]),
      Buffer.from('8114', 'hex'), Buffer.alloc(20, 9),
    ]);
    const payload = encodeMessage('TRANSACTION', { rawTransaction: raw, status: 1 });
    const check = checkRelayItem(decodeMessage(MessageType.TRANSACTION, payload), payload);
    expect(check.ok).toBe(true);
  });

  it('a garbage validation of 100 bytes is not relayed and is charged as rippled charges it', () => {
    const payload = encodeMessage('VALIDATION', { validation: Buffer.alloc(100, 0x07) });
    const check = checkRelayItem(decodeMessage(MessageType.VALIDATION, payload), payload);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.charge?.cost).toBe(200);
  });

  it('garbage manifests are left out of the relayed message', () => {
    const payload = encodeMessage('MANIFESTS', { list: [{ stobject: Buffer.alloc(300, 0x07) }] });
    const check = checkRelayItem(decodeMessage(MessageType.MANIFESTS, payload), payload);
    expect(check.ok && check.filter?.().payload).toBeFalsy();
  });
});

describe('3. "peer charged heavily" is rate-limited per peer', () => {
  it('10,000 charged messages above the warn threshold write one line', () => {
    const lines: string[] = [];
    const log: PeerLog = { debug() {}, info: (_o, m) => lines.push(m), warn: (_o, m) => lines.push(m) };
    const peer = new Peer(peerInfo(), fakeSocket(), Buffer.alloc(0), {
      log,
      now: () => 0,
      resource: { warnThreshold: 10, dropThreshold: 100_000_000, decayWindowMs: 32_000 },
    });
    for (let i = 0; i < 10_000; i++) peer.charge({ cost: 250, label: 'moderate' }, 'ping');
    expect(peer.closed).toBe(false);
    expect(lines.filter((l) => l === 'peer charged heavily')).toHaveLength(1);
    peer.close({ reason: 'shutdown' });
  });
});

describe('4. garbage instead of an HTTP head is refused at the first impossible byte', () => {
  it('00ffffff0003 is refused at once', () => {
    const reader = new HttpHeadReader();
    expect(() => reader.push(Buffer.from('00ffffff0003', 'hex'))).toThrow(HttpHeadError);
  });

  it('2 KB of random bytes are refused at once', () => {
    const bytes = Buffer.alloc(2048);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 73 + 11) & 0xff;
    expect(() => new HttpHeadReader().push(bytes)).toThrow(HttpHeadError);
  });

  it('a head that arrives one byte at a time is still read', () => {
    const text = 'GET /crawl HTTP/1.1\r\nHost: x\r\nUser-Agent: a b\tc\r\n\r\nrest';
    const reader = new HttpHeadReader();
    let done: ReturnType<HttpHeadReader['push']>;
    for (const b of Buffer.from(text)) done = reader.push(Buffer.from([b])) ?? done!;
    expect(done!.head.target).toBe('/crawl');
  });

  it('a response head is still read', () => {
    const done = new HttpHeadReader().push(Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'));
    expect(done?.head.status).toBe(503);
  });
});

describe('5. state files are validated on load and written by one atomic helper', () => {
  const cases: [string, RegExp][] = [
    ['null', /expected a list.*found null/],
    ['42', /expected a list.*found a number/],
    ['{}', /expected a list.*found an object/],
    ['"abc"', /expected a list.*found a string/],
    ['[{"node":"not a key"}]', /entry 0.*node/],
    ['[{"node":5}]', /entry 0.*node/],
    ['[7]', /entry 0/],
  ];
  for (const [text, why] of cases) {
    it(`peer-reservations.json of ${text} is refused, naming the file and the fault`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-res-'));
      writeFileSync(join(dir, 'peer-reservations.json'), text);
      let message = '';
      try {
        new Reservations(dir);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(join(dir, 'peer-reservations.json'));
      expect(message).toMatch(why);
    });
  }

  it('a valid reservations file still loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-res-'));
    const n9 = NodeIdentity.generate().n9;
    writeFileSync(join(dir, 'peer-reservations.json'), JSON.stringify([{ node: n9, description: 'a' }]));
    expect(new Reservations(dir).list()).toEqual([{ node: n9, description: 'a' }]);
  });

  it('temp files left by a kill -9 mid-save are gone after the next start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-tmp-'));
    loadOrCreateNodeIdentity(dir);
    writeFileSync(join(dir, 'peer-reservations.json.tmp-12345'), '[');
    writeFileSync(join(dir, 'bootcache.json.tmp-999'), '{');
    writeFileSync(join(dir, '.node-key.json.4242.abcdef.tmp'), '{');
    writeFileSync(join(dir, 'node-key.json.tmp-4242'), '{');
    loadOrCreateNodeIdentity(dir);
    new Reservations(dir);
    expect(readdirSync(dir).filter((f) => f !== 'bootcache.json.tmp-999').sort()).toEqual(['node-key.json']);
  });

  it('a bootcache of the wrong shape is reported with the file named, and the cache starts empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-bc-'));
    const path = join(dir, 'bootcache.json');
    for (const [text, why] of [['null', /expected an object, found null/], ['[]', /expected an object, found a list/], ['{"version":2,"entries":[]}', /unknown version 2/]] as const) {
      writeFileSync(path, text);
      const r = new Bootcache({ capacity: 10, prunePercent: 10, cooldownMs: 1000, now: () => 0, path }).load();
      expect(r.loaded).toBe(0);
      expect(r.warning).toContain(path);
      expect(r.warning).toMatch(why);
    }
  });

  it('kill -9 in the middle of saves leaves the old or the new file, whole, and no temp file on the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-kill-'));
    const file = join(dir, 'peer-reservations.json');
    const script = join(dir, 'saver.mts');
    const helper = new URL('../src/identity/state-file.ts', import.meta.url).pathname;
    // Saves a 2 MB file over and over, so that the kill lands mid-write most of the time.
    writeFileSync(script, `import { writeJsonAtomic } from ${JSON.stringify(helper)};\nconst big = 'x'.repeat(2_000_000);\nfor (let i = 0; ; i++) { writeJsonAtomic(${JSON.stringify(file)}, [{ i, big }]); if (i === 0) console.log('saving'); }\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Whatever the kill interrupted, the file reads whole (old or new)…
    const value = readJsonState(file, [], (v) => v as { i: number; big: string }[]);
    expect(value[0]!.big.length).toBe(2_000_000);
    // …and reading it, as the next start does, removes any temp file the kill left.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 30_000);

  it('the node key file of a wrong type names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-key-'));
    writeFileSync(join(dir, 'node-key.json'), '[]');
    expect(() => loadOrCreateNodeIdentity(dir)).toThrow(join(dir, 'node-key.json'));
    expect(readFileSync(join(dir, 'node-key.json'), 'utf8')).toBe('[]');
  });
});

describe('1b. the decompression budget is a config key', () => {
  it('[overlay] decompress_bytes_per_second parses, with a default of 4 MiB', () => {
    const base = '[port_peer]\nip = 127.0.110.9\nport = 51235\nprotocol = peer\n';
    expect(parseConfig(base, 'x.cfg').timers.decompressBytesPerSecond).toBe(4 * 1024 * 1024);
    expect(parseConfig(`${base}[overlay]\ndecompress_bytes_per_second = 1048576\n`, 'x.cfg').timers.decompressBytesPerSecond).toBe(1048576);
    expect(() => parseConfig(`${base}[overlay]\ndecompress_bytes_per_second = 10\n`, 'x.cfg')).toThrow(/decompress_bytes_per_second/);
  });
});

describe('6. limits exactly as rippled: 64 MiB accepted, unknown types free', () => {
  it('a compressed frame announcing exactly 64 MiB decodes', () => {
    const payload = Buffer.alloc(MAX_FRAME_BYTES, 0);
    const frames = new FrameDecoder({ compression: true }).push(compressedFrame(MessageType.MANIFESTS, lz4CompressBlock(payload), MAX_FRAME_BYTES));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.payload.length).toBe(MAX_FRAME_BYTES);
  });

  it('one byte more is refused', () => {
    const payload = Buffer.alloc(MAX_FRAME_BYTES + 1, 0);
    expect(() => new FrameDecoder({ compression: true }).push(compressedFrame(MessageType.MANIFESTS, lz4CompressBlock(payload), MAX_FRAME_BYTES + 1))).toThrow(/exceeds/);
  });

  it('unknown message types are not charged', async () => {
    const socket = fakeSocket();
    const peer = new Peer(peerInfo(), socket, Buffer.alloc(0), { now: () => 0 });
    peer.start();
    for (let i = 0; i < 1000; i++) socket.push(encodeFrame(999, Buffer.alloc(4)));
    await flush();
    expect(peer.resource.balance).toBe(0);
    peer.close({ reason: 'shutdown' });
  });
});
