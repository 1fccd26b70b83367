/**
 * Frame decode throughput: a stream of frames cut into 16 KiB chunks (the size of TLS records)
 * and pushed through a FrameDecoder. Throughput is wire bytes consumed per second (for LZ4 we
 * also report uncompressed payload bytes delivered per second). The baseline, run on the same
 * chunks, is the naive approach: Buffer.concat everything received so far, then copy each
 * payload out (without decompressing).
 */
import { randomBytes } from 'node:crypto';
import { encodeFrame, FrameDecoder } from '../src/protocol/framing.js';
import { MessageType } from '../src/protocol/message-types.js';
import type { BenchOptions, BenchResult } from './types.js';

const CHUNK_BYTES = 16 * 1024;
const STREAM_PAYLOAD_BYTES = 16 * 1024 * 1024;
const RUNS = 11;
const QUICK_RUNS = 1;

interface Case {
  name: string;
  payloadBytes: number;
  compress: boolean;
}

const CASES: Case[] = [
  { name: '1 KB plain', payloadBytes: 1024, compress: false },
  { name: '1 KB lz4', payloadBytes: 1024, compress: true },
  { name: '1 MB plain', payloadBytes: 1024 * 1024, compress: false },
  { name: '1 MB lz4', payloadBytes: 1024 * 1024, compress: true },
];

/** Ledger-like bytes: repeated field prefixes around random hashes (LZ4 gets about 2:1). */
function ledgerLikePayload(size: number): Buffer {
  const out = Buffer.alloc(size);
  const prefix = Buffer.from('0a20e2011100612200000000', 'hex');
  for (let at = 0; at < size; ) {
    at += prefix.copy(out, at);
    at += randomBytes(20).copy(out, at);
    at += 8; // zero padding, like empty amounts and flags
  }
  return out;
}

interface Stream {
  chunks: Buffer[];
  wireBytes: number;
  payloadBytes: number;
}

function buildStream(c: Case): Stream {
  const frames = Math.max(1, Math.floor(STREAM_PAYLOAD_BYTES / c.payloadBytes));
  const encoded: Buffer[] = [];
  for (let i = 0; i < frames; i++) {
    const payload = c.compress ? ledgerLikePayload(c.payloadBytes) : randomBytes(c.payloadBytes);
    const frame = encodeFrame(MessageType.LEDGER_DATA, payload, c.compress);
    if (c.compress && !(frame[0]! & 0x80)) throw new Error('bench payload did not compress');
    encoded.push(frame);
  }
  const stream = Buffer.concat(encoded);
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += CHUNK_BYTES) {
    chunks.push(Buffer.from(stream.subarray(at, at + CHUNK_BYTES)));
  }
  return { chunks, wireBytes: stream.length, payloadBytes: frames * c.payloadBytes };
}

function decodeWithFrameDecoder(chunks: Buffer[]): number {
  const decoder = new FrameDecoder({ compression: true });
  let bytes = 0;
  for (const chunk of chunks) {
    for (const frame of decoder.push(chunk)) bytes += frame.payload.length;
  }
  return bytes;
}

/** The baseline: grow one buffer with Buffer.concat per chunk and copy out each plain payload. */
function decodeWithConcat(chunks: Buffer[]): number {
  let pending: Buffer = Buffer.alloc(0);
  let bytes = 0;
  for (const chunk of chunks) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 6) break;
      const compressed = (pending[0]! & 0x80) !== 0;
      const headerBytes = compressed ? 10 : 6;
      const size = pending.readUInt32BE(0) & 0x03ffffff;
      if (pending.length < headerBytes + size) break;
      bytes += Buffer.from(pending.subarray(headerBytes, headerBytes + size)).length;
      pending = pending.subarray(headerBytes + size);
    }
  }
  return bytes;
}

/**
 * Median time of one pass over the stream for each decoder, in seconds. The two decoders take
 * turns, run by run, so that a slow spell of a noisy machine falls on both alike.
 */
function measurePair(a: (chunks: Buffer[]) => number, b: (chunks: Buffer[]) => number, chunks: Buffer[], runs: number): [number, number] {
  a(chunks); // warm-up
  b(chunks);
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    for (const [k, decode] of [a, b].entries()) {
      const started = process.hrtime.bigint();
      decode(chunks);
      times[k]!.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
  const median = (t: number[]) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]!;
  return [median(times[0]), median(times[1])];
}

const megabytesPerSecond = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

export async function benchFraming(opts: BenchOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const c of CASES) {
    const stream = buildStream(c);
    const [ours, baseline] = measurePair(decodeWithFrameDecoder, decodeWithConcat, stream.chunks, opts.quick ? QUICK_RUNS : RUNS);
    const oursRate = megabytesPerSecond(stream.wireBytes, ours);
    const baselineRate = megabytesPerSecond(stream.wireBytes, baseline);
    results.push({
      name: `frame decode ${c.name}, wire bytes (16 KiB chunks)`,
      value: round(oursRate),
      unit: 'MB/s',
      baseline: `concat+copy ${round(baselineRate)} MB/s`,
      ratio: round(oursRate / baselineRate, 2),
    });
    if (c.compress) {
      results.push({
        name: `frame decode ${c.name}, uncompressed payload bytes`,
        value: round(megabytesPerSecond(stream.payloadBytes, ours)),
        unit: 'MB/s',
      });
    }
  }
  return results;
}

function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
