/**
 * LZ4 raw block format (no frame format): a decoder that is safe on hostile input, and a greedy
 * single-pass encoder whose choices follow liblz4's default ("fast", acceleration 1) compressor,
 * so that blocks we produce are the same bytes rippled would produce for the same payload.
 *
 * Block format recap: a block is a list of sequences. Each sequence is a token byte (high nibble:
 * literal count, low nibble: match length - 4; a nibble of 15 is continued by bytes of 255 ending
 * with one byte < 255), the literals, then a little-endian u16 offset back into the output. The
 * last sequence has literals only and ends the block.
 */

export class Lz4Error extends Error {
  override name = 'Lz4Error';
}

const MIN_MATCH = 4;
/** The last 5 bytes of a block are always literals. */
const LAST_LITERALS = 5;
/** The last match must start at least 12 bytes before the end of the block. */
const MF_LIMIT = 12;
const NIBBLE_MAX = 15;
const MAX_OFFSET = 65535;
/** No LZ4 block expands by more than this: one input byte adds at most 255 bytes of match. */
const MAX_EXPANSION = 255;

// ---------------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------------

/**
 * Decodes one raw LZ4 block that must expand to exactly `uncompressedSize` bytes.
 * Accepts the same blocks as liblz4's safe decoder when asked for a full block (including its
 * end-of-block rules), and throws Lz4Error on anything else.
 */
export function lz4DecompressBlock(src: Uint8Array, uncompressedSize: number): Buffer {
  if (!Number.isSafeInteger(uncompressedSize) || uncompressedSize < 0) {
    throw new Lz4Error(`invalid uncompressed size ${uncompressedSize}`);
  }
  if (src.length === 0) throw new Lz4Error('empty block');
  if (uncompressedSize > src.length * MAX_EXPANSION) {
    throw new Lz4Error(`block of ${src.length} bytes cannot expand to ${uncompressedSize}`);
  }
  const input = asBuffer(src);
  const out = Buffer.allocUnsafe(uncompressedSize);
  const inEnd = input.length;
  const outEnd = uncompressedSize;
  let ip = 0;
  let op = 0;

  for (;;) {
    if (ip >= inEnd) throw new Lz4Error('block ends without a final literal run');
    const token = input[ip++]!;

    let litLen = token >>> 4;
    if (litLen === NIBBLE_MAX) {
      let b: number;
      do {
        if (ip >= inEnd) throw new Lz4Error('truncated literal length');
        b = input[ip++]!;
        litLen += b;
      } while (b === 255);
    }

    const litInEnd = ip + litLen;
    const litOutEnd = op + litLen;
    if (litInEnd > inEnd) throw new Lz4Error('literals run past the end of the input');
    if (litOutEnd > outEnd) throw new Lz4Error('literals run past the end of the output');

    // Too close to either end for a match to follow: this has to be the final sequence.
    if (litOutEnd > outEnd - MF_LIMIT || litInEnd > inEnd - (2 + 1 + LAST_LITERALS)) {
      if (litInEnd !== inEnd) throw new Lz4Error('trailing data after the final literal run');
      if (litOutEnd !== outEnd) {
        throw new Lz4Error(`block decodes to ${litOutEnd} bytes, expected ${outEnd}`);
      }
      copyBytes(input, ip, out, op, litLen);
      return out;
    }
    copyBytes(input, ip, out, op, litLen);
    ip = litInEnd;
    op = litOutEnd;

    // The check above leaves at least 8 input bytes, so the offset can be read unchecked.
    const offset = input[ip]! | (input[ip + 1]! << 8);
    ip += 2;
    if (offset === 0) throw new Lz4Error('match offset 0');
    if (offset > op) throw new Lz4Error('match offset points before the start of the output');

    let matchLen = (token & NIBBLE_MAX) + MIN_MATCH;
    if ((token & NIBBLE_MAX) === NIBBLE_MAX) {
      let b: number;
      do {
        if (ip >= inEnd) throw new Lz4Error('truncated match length');
        b = input[ip++]!;
        matchLen += b;
      } while (b === 255);
    }
    if (op + matchLen > outEnd - LAST_LITERALS) {
      throw new Lz4Error('match runs into the last 5 bytes of the output');
    }
    copyMatch(out, op, offset, matchLen);
    op += matchLen;
  }
}

function asBuffer(src: Uint8Array): Buffer {
  return Buffer.isBuffer(src) ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength);
}

/** Below this length a plain loop beats the call overhead of a native copy. */
const SHORT_COPY = 16;

function copyBytes(src: Buffer, from: number, dst: Buffer, to: number, len: number): void {
  if (len < SHORT_COPY) {
    for (let i = 0; i < len; i++) dst[to + i] = src[from + i]!;
  } else {
    src.copy(dst, to, from, from + len);
  }
}

/**
 * Copies `len` bytes from `offset` bytes back. When the source overlaps the destination the
 * output repeats with period `offset`, so we copy ever larger already-written spans that start
 * at a whole number of periods (copyWithin itself has memmove semantics, not LZ4's).
 */
function copyMatch(out: Buffer, op: number, offset: number, len: number): void {
  const from = op - offset;
  if (len < SHORT_COPY) {
    for (let i = 0; i < len; i++) out[op + i] = out[from + i]!;
    return;
  }
  if (offset >= len) {
    out.copyWithin(op, from, from + len);
    return;
  }
  let done = 0;
  while (done < len) {
    const n = Math.min(len - done, offset + done);
    out.copyWithin(op + done, from, from + n);
    done += n;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------

/** Blocks shorter than this are stored as literals only. */
const MIN_INPUT = MF_LIMIT + 1;
/** Inputs shorter than this use 16-bit positions and a 13-bit hash; longer ones 32-bit and 12. */
const SMALL_INPUT_LIMIT = 65536 + MF_LIMIT - 1;
/** liblz4's largest accepted input. */
const MAX_INPUT = 0x7e000000;
/** After 2^6 misses the search step grows by one (acceleration 1). */
const SKIP_TRIGGER = 6;
const KNUTH_PRIME = 2654435761 | 0;
/** 889523592379, the multiplier of the 5-byte hash, split into 32-bit halves. */
const PRIME5_HI = 207;
const PRIME5_LO = 465362107;

const smallTable = new Uint16Array(1 << 13);
const largeTable = new Uint32Array(1 << 12);

/** Worst-case size of a compressed block (same formula as liblz4's compress bound). */
export function lz4CompressBound(inputSize: number): number {
  return inputSize + Math.floor(inputSize / 255) + 16;
}

/** Compresses `src` into a new raw LZ4 block. */
export function lz4CompressBlock(src: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(lz4CompressBound(src.length));
  const end = lz4CompressBlockInto(src, out, 0);
  // Do not keep a mostly empty worst-case buffer alive behind a small result.
  return end < out.length / 2 ? Buffer.from(out.subarray(0, end)) : out.subarray(0, end);
}

/**
 * Compresses `src` into `out` starting at `outStart` and returns the end offset.
 * `out` must have room for lz4CompressBound(src.length) bytes after `outStart`.
 */
export function lz4CompressBlockInto(src: Uint8Array, out: Uint8Array, outStart: number): number {
  if (out.length - outStart < lz4CompressBound(src.length)) {
    throw new RangeError('output buffer smaller than lz4CompressBound(input)');
  }
  const n = src.length;
  if (n > MAX_INPUT) throw new RangeError(`input of ${n} bytes is too large for an LZ4 block`);
  if (n < MIN_INPUT) return writeLastLiterals(src, 0, out, outStart);
  return compressSequences(src, out, outStart, n < SMALL_INPUT_LIMIT);
}

function read32(s: Uint8Array, p: number): number {
  return s[p]! | (s[p + 1]! << 8) | (s[p + 2]! << 16) | (s[p + 3]! << 24);
}

/** Hash of the 4 bytes at p into 13 bits (small inputs). */
function hash4(s: Uint8Array, p: number): number {
  return Math.imul(read32(s, p), KNUTH_PRIME) >>> 19;
}

/**
 * Hash of the 5 bytes at p into 12 bits (large inputs): the top 12 bits of
 * ((bytes p..p+4 as little-endian u40) << 24) * 889523592379 mod 2^64, in 32-bit pieces.
 */
function hash5(s: Uint8Array, p: number): number {
  const b0 = s[p]!;
  const hi = s[p + 1]! | (s[p + 2]! << 8) | (s[p + 3]! << 16) | (s[p + 4]! << 24);
  const lo = b0 << 24;
  const carry = Math.floor((b0 * PRIME5_LO) / 256);
  return (Math.imul(hi, PRIME5_LO) + Math.imul(lo, PRIME5_HI) + carry) >>> 20;
}

function hashAt(s: Uint8Array, small: boolean, p: number): number {
  return small ? hash4(s, p) : hash5(s, p);
}

/** Positions in a small input are always within reach of a 16-bit offset. */
function inReach(small: boolean, candidate: number, pos: number): boolean {
  return small || candidate + MAX_OFFSET >= pos;
}

/** Number of equal bytes at a and b, scanning a no further than `limit`. */
function countMatch(s: Uint8Array, a: number, b: number, limit: number): number {
  const start = a;
  while (a + 4 <= limit && read32(s, a) === read32(s, b)) {
    a += 4;
    b += 4;
  }
  while (a < limit && s[a] === s[b]) {
    a++;
    b++;
  }
  return a - start;
}

/** Writes a length continuation (after a nibble of 15) and returns the new output offset. */
function writeLengthTail(out: Uint8Array, op: number, rest: number): number {
  while (rest >= 255) {
    out[op++] = 255;
    rest -= 255;
  }
  out[op++] = rest;
  return op;
}

/**
 * The greedy loop: emits a sequence for every match found, then the final literal run.
 * Returns the output offset after the block.
 */
function compressSequences(src: Uint8Array, out: Uint8Array, opStart: number, small: boolean): number {
  const n = src.length;
  const table = small ? smallTable : largeTable;
  table.fill(0);
  const mfLimitPlusOne = n - MF_LIMIT + 1;
  const matchLimit = n - LAST_LITERALS;

  let op = opStart;
  let anchor = 0;
  table[hashAt(src, small, 0)] = 0;
  let ip = 1;
  let forwardHash = hashAt(src, small, ip);

  for (;;) {
    // Search forward for a 4-byte match, taking bigger steps the longer nothing is found.
    let match = 0;
    let forwardIp = ip;
    let step = 1;
    let misses = 1 << SKIP_TRIGGER;
    for (;;) {
      const h = forwardHash;
      const candidate = table[h]!;
      ip = forwardIp;
      forwardIp += step;
      step = misses++ >>> SKIP_TRIGGER;
      if (forwardIp > mfLimitPlusOne) return writeLastLiterals(src, anchor, out, op);
      forwardHash = hashAt(src, small, forwardIp);
      table[h] = ip;
      if (inReach(small, candidate, ip) && read32(src, candidate) === read32(src, ip)) {
        match = candidate;
        break;
      }
    }

    // Extend the match backwards over pending literals.
    while (ip > anchor && match > 0 && src[ip - 1] === src[match - 1]) {
      ip--;
      match--;
    }

    let token = op++;
    op = writeLiterals(src, anchor, ip - anchor, out, token, op);

    for (;;) {
      out[op++] = (ip - match) & 0xff;
      out[op++] = (ip - match) >>> 8;
      const extra = countMatch(src, ip + MIN_MATCH, match + MIN_MATCH, matchLimit);
      ip += extra + MIN_MATCH;
      if (extra >= NIBBLE_MAX) {
        out[token] |= NIBBLE_MAX;
        op = writeLengthTail(out, op, extra - NIBBLE_MAX);
      } else {
        out[token] |= extra;
      }
      anchor = ip;
      if (ip >= mfLimitPlusOne) return writeLastLiterals(src, anchor, out, op);

      table[hashAt(src, small, ip - 2)] = ip - 2;
      // Try for an immediate follow-on match (a sequence with no literals).
      const h = hashAt(src, small, ip);
      const candidate = table[h]!;
      table[h] = ip;
      if (!(inReach(small, candidate, ip) && read32(src, candidate) === read32(src, ip))) break;
      match = candidate;
      token = op++;
      out[token] = 0;
    }
    ip++;
    forwardHash = hashAt(src, small, ip);
  }
}

/** Writes the literal-length part of the token at `token`, then the literals. */
function writeLiterals(
  src: Uint8Array,
  from: number,
  len: number,
  out: Uint8Array,
  token: number,
  op: number,
): number {
  if (len >= NIBBLE_MAX) {
    out[token] = NIBBLE_MAX << 4;
    op = writeLengthTail(out, op, len - NIBBLE_MAX);
  } else {
    out[token] = len << 4;
  }
  if (len < SHORT_COPY) {
    for (let i = 0; i < len; i++) out[op + i] = src[from + i]!;
  } else {
    out.set(src.subarray(from, from + len), op);
  }
  return op + len;
}

function writeLastLiterals(src: Uint8Array, anchor: number, out: Uint8Array, op: number): number {
  const token = op++;
  return writeLiterals(src, anchor, src.length - anchor, out, token, op);
}
