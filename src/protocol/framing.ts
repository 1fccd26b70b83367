/**
 * Peer protocol frame codec.
 *
 * Plain frame:      u32be payload size (top 6 bits zero) ‖ u16be type ‖ payload
 * Compressed frame: u32be (0x80 | algorithm<<4 ‖ 2 reserved zero bits ‖ 26-bit wire size)
 *                   ‖ u16be type ‖ u32be uncompressed size ‖ compressed payload
 * The only algorithm is LZ4 (raw block), whose first header byte is 0x9_.
 */
import { COMPRESSIBLE_TYPES } from './message-types.js';
import { Lz4Error, lz4CompressBlockInto, lz4CompressBound, lz4DecompressBlock } from './lz4.js';

export const PLAIN_HEADER_BYTES = 6;
export const COMPRESSED_HEADER_BYTES = 10;
/** rippled drops (and may disconnect on) anything larger, on the wire or uncompressed. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Largest payload a header can state in its 26 size bits (64 MiB - 1): all encodeFrame can send. */
export const MAX_ENCODABLE_BYTES = 0x03ffffff;
const SIZE_MASK = MAX_ENCODABLE_BYTES;
const COMPRESSED_FLAG = 0x80;
const ALGORITHM_MASK = 0xf0;
const ALGORITHM_LZ4 = 0x90;
const RESERVED_BITS = 0x0c;
/** rippled never compresses payloads of this size or smaller. */
const MIN_COMPRESSIBLE_BYTES = 71;
const EMPTY = Buffer.alloc(0);

export interface RawFrame {
  type: number;
  /**
   * The payload, uncompressed. When it arrived inside one pushed chunk this is a view of that
   * chunk (no copy), so keeping it keeps the chunk alive.
   */
  payload: Buffer;
  compressed: boolean;
  /** Header plus payload as they were on the wire. */
  wireBytes: number;
  /**
   * Set when the frame's type is one the reader said it will not read: the payload was skipped,
   * not decompressed, and `payload` is empty (rippled skips unknown types the same way).
   */
  skipped?: true;
}

export type FrameErrorReason =
  | 'too-large'
  | 'bad-header'
  | 'compression-not-negotiated'
  | 'unknown-algorithm'
  | 'bad-lz4'
  | 'decoder-failed';

export class FrameError extends Error {
  override name = 'FrameError';
  constructor(
    readonly reason: FrameErrorReason,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/**
 * Encodes one frame. With `compress` set, LZ4 is used the way rippled decides it (Message.cpp):
 * only for compressible types larger than 70 bytes, and only if the compressed frame comes out
 * strictly smaller than the plain one (compressed size < payload size - 4).
 */
export function encodeFrame(type: number, payload: Uint8Array, compress = false): Buffer {
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) {
    throw new RangeError(`message type ${type} does not fit in 16 bits`);
  }
  if (payload.length > SIZE_MASK) {
    throw new FrameError('too-large', `payload of ${payload.length} bytes does not fit a frame`);
  }
  if (compress && payload.length >= MIN_COMPRESSIBLE_BYTES && COMPRESSIBLE_TYPES.has(type)) {
    const frame = tryCompressedFrame(type, payload);
    if (frame) return frame;
  }
  const frame = Buffer.allocUnsafe(PLAIN_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt16BE(type, 4);
  frame.set(payload, PLAIN_HEADER_BYTES);
  return frame;
}

/**
 * encodeFrame, or undefined when the payload cannot be framed this way: a plain frame states at
 * most 64 MiB - 1, and a 64 MiB payload (which rippled accepts, compressed) fits only a compressed
 * frame that comes out smaller. Relay uses this, so that no accepted payload makes it throw.
 */
export function tryEncodeFrame(type: number, payload: Uint8Array, compress = false): Buffer | undefined {
  if (payload.length <= SIZE_MASK) return encodeFrame(type, payload, compress);
  if (!compress || !COMPRESSIBLE_TYPES.has(type) || payload.length > MAX_FRAME_BYTES) return undefined;
  return tryCompressedFrame(type, payload);
}

function tryCompressedFrame(type: number, payload: Uint8Array): Buffer | undefined {
  const buf = Buffer.allocUnsafe(COMPRESSED_HEADER_BYTES + lz4CompressBound(payload.length));
  const end = lz4CompressBlockInto(payload, buf, COMPRESSED_HEADER_BYTES);
  const size = end - COMPRESSED_HEADER_BYTES;
  if (size >= payload.length - (COMPRESSED_HEADER_BYTES - PLAIN_HEADER_BYTES)) return undefined;
  buf.writeUInt32BE(size, 0);
  buf[0] |= ALGORITHM_LZ4;
  buf.writeUInt16BE(type, 4);
  buf.writeUInt32BE(payload.length, 6);
  // Do not keep a mostly empty worst-case buffer alive behind a small frame.
  return end < buf.length / 2 ? Buffer.from(buf.subarray(0, end)) : buf.subarray(0, end);
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

interface FrameHeader {
  type: number;
  headerBytes: number;
  /** Payload bytes on the wire. */
  wireSize: number;
  /** Zero for a plain frame. */
  uncompressedSize: number;
  compressed: boolean;
}

export interface FrameDecoderOptions {
  /** Whether LZ4 was negotiated (X-Protocol-Ctl: compr=lz4) for frames sent to us. */
  compression: boolean;
  /**
   * Largest payload accepted, on the wire or uncompressed. Default and ceiling: 64 MiB, as rippled
   * (refused only above). A plain header can state at most 64 MiB - 1; a compressed one can
   * announce exactly 64 MiB uncompressed (see tryEncodeFrame for relaying such a payload).
   */
  maxFrameBytes?: number;
  /**
   * Whether frames of this type will be read. A compressed frame of a type that will not is
   * skipped without being decompressed, so an unknown type costs no CPU (rippled's
   * invokeProtocolMessage). Default: every type is read.
   */
  decompress?: (type: number) => boolean;
}

/**
 * Streaming frame decoder. Incoming chunks are queued as they are; bytes are only copied when a
 * payload spans chunks, and then once, when the whole payload has arrived.
 */
export class FrameDecoder {
  private compression: boolean;
  private readonly maxFrameBytes: number;
  private chunks: Buffer[] = [];
  /** Index of the first live chunk in `chunks`, and the bytes already consumed from it. */
  private head = 0;
  private headOffset = 0;
  private queued = 0;
  private header: FrameHeader | undefined;
  private failure: FrameError | undefined;
  private readonly scratch = Buffer.alloc(COMPRESSED_HEADER_BYTES);
  private readonly wanted: (type: number) => boolean;

  constructor(opts: FrameDecoderOptions) {
    this.compression = opts.compression;
    this.maxFrameBytes = Math.min(opts.maxFrameBytes ?? MAX_FRAME_BYTES, MAX_FRAME_BYTES);
    this.wanted = opts.decompress ?? (() => true);
  }

  /** Bytes received but not yet returned as frames (for memory accounting). */
  get bufferedBytes(): number {
    return this.queued + (this.header?.headerBytes ?? 0);
  }

  setCompression(enabled: boolean): void {
    this.compression = enabled;
  }

  /** Adds received bytes and returns every frame they complete. Throws FrameError on bad input. */
  push(chunk: Buffer): RawFrame[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.queued += chunk.length;
    }
    const frames: RawFrame[] = [];
    try {
      for (let frame = this.next(); frame; frame = this.next()) frames.push(frame);
    } catch (err) {
      this.fail(err);
    }
    return frames;
  }

  private fail(err: unknown): never {
    this.failure =
      err instanceof FrameError ? err : new FrameError('decoder-failed', String(err));
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.queued = 0;
    this.header = undefined;
    throw this.failure;
  }

  private next(): RawFrame | undefined {
    if (!this.header) {
      const header = this.readHeader();
      if (!header) return undefined;
      this.header = header;
    }
    const header = this.header;
    if (this.queued < header.wireSize) return undefined;
    this.header = undefined;
    if (header.compressed && !this.wanted(header.type)) {
      this.skip(header.wireSize);
      return {
        type: header.type,
        payload: EMPTY,
        compressed: true,
        wireBytes: header.headerBytes + header.wireSize,
        skipped: true,
      };
    }
    const wirePayload = this.take(header.wireSize);
    const payload = header.compressed
      ? decompress(wirePayload, header.uncompressedSize)
      : wirePayload;
    return {
      type: header.type,
      payload,
      compressed: header.compressed,
      wireBytes: header.headerBytes + header.wireSize,
    };
  }

  /** Parses and consumes the next header once all of it has arrived; validates it at once. */
  private readHeader(): FrameHeader | undefined {
    if (this.queued === 0) return undefined;
    const first = this.peekByte();
    const headerBytes = first & COMPRESSED_FLAG ? COMPRESSED_HEADER_BYTES : PLAIN_HEADER_BYTES;
    if (this.queued < headerBytes) return undefined;
    const bytes = this.peek(headerBytes);
    const header = headerBytes === PLAIN_HEADER_BYTES
      ? parsePlainHeader(bytes)
      : parseCompressedHeader(bytes);
    this.validate(header);
    this.skip(headerBytes);
    return header;
  }

  private validate(header: FrameHeader): void {
    const max = this.maxFrameBytes;
    if (header.wireSize > max || header.uncompressedSize > max) {
      const size = Math.max(header.wireSize, header.uncompressedSize);
      throw new FrameError('too-large', `frame of ${size} bytes exceeds the ${max}-byte limit`);
    }
    if (header.compressed && !this.compression) {
      throw new FrameError('compression-not-negotiated', 'compressed frame on an uncompressed link');
    }
  }

  private peekByte(): number {
    return this.chunks[this.head]![this.headOffset]!;
  }

  /** The next `n` (≤ 10) bytes, copied into a scratch buffer; does not consume them. */
  private peek(n: number): Buffer {
    let copied = 0;
    let offset = this.headOffset;
    for (let i = this.head; copied < n; i++) {
      const chunk = this.chunks[i]!;
      copied += chunk.copy(this.scratch, copied, offset, Math.min(chunk.length, offset + n - copied));
      offset = 0;
    }
    return this.scratch.subarray(0, n);
  }

  private skip(n: number): void {
    this.consume(n, undefined);
  }

  /** Consumes `n` bytes: a view when they lie in one chunk, otherwise one copy of exactly n. */
  private take(n: number): Buffer {
    const chunk = this.chunks[this.head];
    if (chunk && chunk.length - this.headOffset >= n) {
      const view = chunk.subarray(this.headOffset, this.headOffset + n);
      this.skip(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    this.consume(n, out);
    return out;
  }

  private consume(n: number, into: Buffer | undefined): void {
    let done = 0;
    while (done < n) {
      const chunk = this.chunks[this.head]!;
      const end = Math.min(chunk.length, this.headOffset + n - done);
      if (into) chunk.copy(into, done, this.headOffset, end);
      done += end - this.headOffset;
      if (end === chunk.length) {
        this.head++;
        this.headOffset = 0;
      } else {
        this.headOffset = end;
      }
    }
    this.queued -= n;
    this.compact();
  }

  /** Drops consumed chunk slots, without shifting the array on every frame. */
  private compact(): void {
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

function parsePlainHeader(b: Buffer): FrameHeader {
  if (b[0]! & 0xfc) {
    throw new FrameError('bad-header', `plain header with top bits set (0x${b.toString('hex')})`);
  }
  return {
    type: b.readUInt16BE(4),
    headerBytes: PLAIN_HEADER_BYTES,
    wireSize: b.readUInt32BE(0),
    uncompressedSize: 0,
    compressed: false,
  };
}

function parseCompressedHeader(b: Buffer): FrameHeader {
  const first = b[0]!;
  if (first & RESERVED_BITS) {
    const hexHeader = b.toString('hex');
    throw new FrameError('bad-header', `compressed header with reserved bits set (0x${hexHeader})`);
  }
  if ((first & ALGORITHM_MASK) !== ALGORITHM_LZ4) {
    const bits = (first & 0x70).toString(16);
    throw new FrameError('unknown-algorithm', `unknown compression algorithm bits 0x${bits}`);
  }
  const header: FrameHeader = {
    type: b.readUInt16BE(4),
    headerBytes: COMPRESSED_HEADER_BYTES,
    wireSize: b.readUInt32BE(0) & SIZE_MASK,
    uncompressedSize: b.readUInt32BE(6),
    compressed: true,
  };
  if (header.wireSize === 0 || header.uncompressedSize === 0) {
    throw new FrameError('bad-lz4', 'compressed frame with an empty payload');
  }
  return header;
}

function decompress(wirePayload: Buffer, uncompressedSize: number): Buffer {
  try {
    return lz4DecompressBlock(wirePayload, uncompressedSize);
  } catch (err) {
    if (err instanceof Lz4Error) throw new FrameError('bad-lz4', err.message);
    throw err;
  }
}
