/**
 * Fuzz targets (fast-check properties) for everything that reads bytes or text from outside: the
 * frame decoder (LZ4, random splits), the HTTP head reader and handshake checks, the config parser,
 * the endpoints parser, the relay readers and the state-file loaders. A target fails when it throws
 * anything but the module's own typed error, or takes more than 100 ms on one input. run.ts runs
 * them for minutes; test/fuzz.test.ts runs a bounded sample in `npm test`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseConfig, parseEndpoint as parseConfigEndpoint } from '../../src/config/config.js';
import { loadOrCreateNodeIdentity } from '../../src/identity/node-key.js';
import { readObject } from '../../src/ledger/ledger-objects.js';
import { objectShape } from '../../src/ledger/object-shape.js';
import { Bootcache } from '../../src/peerfinder/bootcache.js';
import { checkRelayItem } from '../../src/relay/relay-checks.js';
import { Reservations } from '../../src/overlay/reservations.js';
import { checkManifestSignature, checkTransactionSignature, checkValidationSignature } from '../../src/ledger/signatures.js';
import { decodeMessage, isKnownType } from '../../src/protocol/codec.js';
import { parseEndpoint } from '../../src/address/address.js';
import { encodeFrame, FrameDecoder } from '../../src/protocol/framing.js';
import { negotiateFeatures, parseProtocolVersions, verifyHandshakeHeaders, NO_FEATURES } from '../../src/protocol/handshake.js';
import { HttpHeadReader, splitCommaList } from '../../src/protocol/http-head.js';
import { lz4CompressBlock } from '../../src/protocol/lz4.js';
import { MessageType } from '../../src/protocol/message-types.js';

/** Longest one input may take. */
export const MAX_MS_PER_INPUT = 100;

export interface FuzzTarget<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  run(input: T): void;
  /** Names of the error classes that are the module's own answer to bad input. */
  typedErrors: string[];
}

/** Splits bytes into chunks at the given cut points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

/** A frame stream: real frames (some LZ4) with bytes flipped, garbage mixed in, cut anywhere. */
const frameStream = fc
  .record({
    frames: fc.array(
      fc.record({ type: fc.oneof(fc.constantFrom(2, 3, 30, 33, 41, 999), fc.integer({ min: 0, max: 0xffff })), payload: bytes(600), compress: fc.boolean(), repeat: fc.nat(300) }),
      { maxLength: 6 },
    ),
    flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 4 }),
    garbage: bytes(40),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
  })
  .map(({ frames, flips, garbage, cuts }) => {
    const parts = frames.map((f) => {
      const payload = Buffer.concat([f.payload, Buffer.alloc(f.repeat, f.payload[0] ?? 0)]);
      if (!f.compress || payload.length === 0) return encodeFrame(f.type, payload);
      const block = lz4CompressBlock(payload);
      const h = Buffer.alloc(10);
      h.writeUInt32BE((0x90000000 | block.length) >>> 0, 0);
      h.writeUInt16BE(f.type, 4);
      h.writeUInt32BE(payload.length, 6);
      return Buffer.concat([h, block]);
    });
    const all = Buffer.concat([...parts, garbage]);
    for (const { at, xor } of flips) if (all.length) all[at % all.length]! ^= xor;
    return split(all, cuts);
  });

const headText = fc.oneof(
  bytes(300),
  fc
    .array(fc.oneof(fc.constantFrom('GET / HTTP/1.1', 'HTTP/1.1 101 Switching Protocols', 'Upgrade: XRPL/2.2', 'Connection: Upgrade', 'Connect-As: Peer', 'Public-Key: n9x', 'Session-Signature: AA==', 'X-Protocol-Ctl: compr=lz4;txrr=1', 'Network-ID: 0', 'Closed-Ledger: 00', ':', ' '), fc.string({ maxLength: 40 })), { maxLength: 12 })
    .map((lines) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')),
);

function relayMessage(type: number, body: Buffer): void {
  let msg;
  try {
    msg = decodeMessage(type, body);
  } catch (e) {
    if ((e as Error).name === 'DecodeError') return;
    throw e;
  }
  const check = checkRelayItem(msg, body);
  if (check.ok) {
    check.verify?.();
    check.filter?.();
  }
}

/** Serialized-object-like bytes: field headers and values of random types, cut and flipped. */
const stObject = fc.oneof(
  bytes(400),
  fc.array(fc.record({ head: fc.integer({ min: 0x10, max: 0xff }), len: fc.nat(40), fill: fc.nat(255) }), { maxLength: 20 }).map((fields) =>
    Buffer.concat(fields.map((f) => Buffer.concat([Buffer.from([f.head, f.len]), Buffer.alloc(f.len, f.fill)]))),
  ),
);

const stateDir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-fuzz-'));
process.on('exit', () => rmSync(stateDir, { recursive: true, force: true }));

const jsonish = fc.oneof(fc.json(), fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify([v, { node: v, description: v }])));

export const TARGETS: FuzzTarget<any>[] = [
  {
    name: 'frame decoder (LZ4, random splits)',
    arbitrary: frameStream,
    typedErrors: ['FrameError'],
    run(chunks: Buffer[]) {
      const decoder = new FrameDecoder({ compression: true, decompress: isKnownType });
      for (const c of chunks) decoder.push(c);
    },
  },
  {
    name: 'HTTP head reader',
    arbitrary: fc.record({ head: headText, cuts: fc.array(fc.nat(), { maxLength: 6 }) }),
    typedErrors: ['HttpHeadError'],
    run({ head, cuts }: { head: Buffer; cuts: number[] }) {
      const reader = new HttpHeadReader();
      for (const c of split(head, cuts)) if (reader.push(c)) break;
    },
  },
  {
    name: 'handshake checks',
    arbitrary: fc.array(fc.tuple(fc.constantFrom('Server-Domain', 'Network-ID', 'Public-Key', 'Session-Signature', 'Network-Time', 'Closed-Ledger', 'Previous-Ledger', 'Remote-IP', 'Local-IP', 'Instance-Cookie', 'X-Protocol-Ctl', 'Upgrade'), fc.string({ maxLength: 80 })), { maxLength: 10 }),
    typedErrors: ['HandshakeError'],
    run(headers: [string, string][]) {
      const h = { headers };
      parseProtocolVersions(headers.find(([k]) => k === 'Upgrade')?.[1] ?? '');
      negotiateFeatures({ ...NO_FEATURES, compression: true }, headers.find(([k]) => k === 'X-Protocol-Ctl')?.[1]);
      splitCommaList(headers.map(([, v]) => v).join(','));
      verifyHandshakeHeaders(h, { sharedValue: Buffer.alloc(32, 1), ourPublicKey: Buffer.alloc(33, 2), remoteIp: '127.0.110.1', networkId: 0 });
    },
  },
  {
    name: 'config parser',
    arbitrary: fc.array(fc.oneof(fc.constantFrom('[server]', '[port_peer]', 'port = 51235', 'ip = 127.0.0.1', 'protocol = peer', '[ips]', '[ips_fixed]', '[overlay]', 'ping_interval = 0.2', '[compression]', '1', '[peer_private]', '[node_seed]', '[peerfinder]', '#', ''), fc.string({ maxLength: 40 })), { maxLength: 20 }).map((l) => l.join('\n')),
    typedErrors: ['ConfigError'],
    run(text: string) {
      parseConfig(text, 'fuzz.cfg');
    },
  },
  {
    name: 'endpoints parser',
    arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.tuple(fc.ipV4(), fc.integer({ min: -5, max: 70000 })).map(([ip, p]) => `${ip}:${p}`), fc.ipV6().map((ip) => `[${ip}]:51235`)),
    typedErrors: ['BadValue'],
    run(text: string) {
      parseEndpoint(text);
      parseConfigEndpoint(text);
    },
  },
  {
    name: 'relay readers (transactions)',
    arbitrary: stObject,
    typedErrors: [],
    run(raw: Buffer) {
      objectShape(raw);
      readObject(raw);
      checkTransactionSignature(raw);
      relayMessage(MessageType.TRANSACTION, Buffer.concat([Buffer.from([0x0a, Math.min(raw.length, 127)]), raw.subarray(0, 127), Buffer.from([0x10, 0x01])]));
    },
  },
  {
    name: 'relay readers (validations)',
    arbitrary: stObject,
    typedErrors: [],
    run(raw: Buffer) {
      checkValidationSignature(raw);
      relayMessage(MessageType.VALIDATION, Buffer.concat([Buffer.from([0x0a, Math.min(raw.length, 127)]), raw.subarray(0, 127)]));
    },
  },
  {
    name: 'relay readers (proposals)',
    arbitrary: bytes(300),
    typedErrors: [],
    run(body: Buffer) {
      relayMessage(MessageType.PROPOSE_LEDGER, body);
    },
  },
  {
    name: 'relay readers (manifests)',
    arbitrary: fc.array(stObject, { maxLength: 4 }),
    typedErrors: [],
    run(list: Buffer[]) {
      for (const m of list) checkManifestSignature(m);
      const body = Buffer.concat(list.map((m) => {
        const inner = Buffer.concat([Buffer.from([0x0a, Math.min(m.length, 120)]), m.subarray(0, 120)]);
        return Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
      }));
      relayMessage(MessageType.MANIFESTS, body);
    },
  },
  {
    name: 'state-file loaders',
    arbitrary: jsonish,
    typedErrors: ['StateFileError', 'Error:node key file'],
    run(text: string) {
      writeFileSync(join(stateDir, 'peer-reservations.json'), text);
      writeFileSync(join(stateDir, 'bootcache.json'), text);
      writeFileSync(join(stateDir, 'node-key.json'), text);
      try {
        new Reservations(stateDir);
      } finally {
        new Bootcache({ capacity: 1000, prunePercent: 10, cooldownMs: 60_000, now: () => 0, path: join(stateDir, 'bootcache.json') }).load();
        try {
          loadOrCreateNodeIdentity(stateDir);
        } catch (e) {
          // The node key loader's own errors name the file.
          if (!(e instanceof Error && e.message.includes('node key file'))) throw e;
        }
      }
    },
  },
];

function timeOne<T>(target: FuzzTarget<T>, input: T): { ms: number; error?: string } {
  const started = performance.now();
  try {
    target.run(input);
  } catch (e) {
    const name = (e as Error)?.name ?? typeof e;
    if (!target.typedErrors.includes(name)) return { ms: 0, error: `threw ${name}: ${(e as Error)?.message ?? String(e)}` };
  }
  return { ms: performance.now() - started };
}

/**
 * Runs one input; returns why it failed, or undefined. A slow input is timed again before it
 * counts as a failure: on a shared machine one garbage collection or descheduling can take 100 ms.
 */
export function runOne<T>(target: FuzzTarget<T>, input: T): string | undefined {
  const first = timeOne(target, input);
  if (first.error) return first.error;
  if (first.ms <= MAX_MS_PER_INPUT) return undefined;
  const again = timeOne(target, input);
  if (again.ms <= MAX_MS_PER_INPUT) return undefined;
  return `took ${again.ms.toFixed(0)} ms twice (limit ${MAX_MS_PER_INPUT})`;
}

export interface TargetResult {
  name: string;
  cases: number;
  failure?: { reason: string; input: string };
  /** Heap growth between the first and the last tenth of the run, in MiB (after a GC when exposed). */
  heapGrowthMiB: number;
}

/** Heap growth above this, over a run, counts as memory that grows with the input count. */
export const MAX_HEAP_GROWTH_MIB = 64;

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** Runs a target for `numRuns` cases or `timeMs`, whichever ends first; failures come back shrunk. */
export function fuzzTarget<T>(target: FuzzTarget<T>, opts: { numRuns: number; timeMs?: number; seed?: number }): TargetResult {
  let cases = 0;
  let reason: string | undefined;
  const heapBefore = heapMiB();
  const details = fc.check(
    fc.property(target.arbitrary, (input) => {
      cases++;
      const why = runOne(target, input);
      if (why) reason = why;
      return why === undefined;
    }),
    { numRuns: opts.numRuns, ...(opts.timeMs ? { interruptAfterTimeLimit: opts.timeMs, markInterruptAsFailure: false } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) },
  );
  const heapGrowthMiB = heapMiB() - heapBefore;
  const result: TargetResult = { name: target.name, cases, heapGrowthMiB };
  if (details.failed && details.counterexample) {
    result.failure = { reason: reason ?? String(details.errorInstance), input: fc.stringify(details.counterexample[0]).slice(0, 2000) };
  } else if (heapGrowthMiB > MAX_HEAP_GROWTH_MIB) {
    result.failure = { reason: `heap grew by ${heapGrowthMiB.toFixed(0)} MiB over ${cases} cases`, input: '(memory)' };
  }
  return result;
}
