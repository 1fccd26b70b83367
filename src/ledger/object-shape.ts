/**
 * Whether bytes are a serialized object (rippled's STObject layout) at all, judged by the layout of
 * each field's type only. ledger-objects.ts reads what it can vouch for exactly as rippled does; this
 * tells the rest apart: a well-formed item with a field we do not know (relayed unchecked) from bytes
 * that are no transaction, validation or manifest at all (never relayed; rippled cannot parse them).
 */
import { ARRAY_END, Cursor, FIXED_WIDTH, MAX_DEPTH, OBJECT_END, Refused, refuse, SerializedType as T } from './ledger-objects.js';

export type ShapeResult =
  /** Every field could be walked to its end: an object, whatever its fields mean. */
  | { shape: 'object' }
  /** Not an object rippled could read: truncated, an impossible header or length, a type no rippled has. */
  | { shape: 'malformed'; reason: string }
  /** A form whose length we cannot tell for certain (an issue in an MPT form): no verdict. */
  | { shape: 'unsure'; reason: string };

class Unsure extends Error {}

/**
 * Walks a whole serialized object by the layout of each field's type only: unknown field numbers,
 * field order and value forms do not matter here (readObject judges those), so a well-formed item
 * with a field we do not know is an object, and bytes that are not a serialized object at all are
 * told apart from it. Single pass over offsets, like readObject.
 */
export function objectShape(bytes: Uint8Array): ShapeResult {
  try {
    walkFields(new Cursor(bytes, 0, bytes.length), 0, false);
    return { shape: 'object' };
  } catch (e) {
    if (e instanceof Refused) return { shape: 'malformed', reason: e.message };
    if (e instanceof Unsure) return { shape: 'unsure', reason: e.message };
    throw e;
  }
}

function walkFields(c: Cursor, depth: number, inner: boolean): void {
  for (;;) {
    if (c.pos === c.end) {
      if (inner) refuse('object without its end marker');
      return;
    }
    const code = c.fieldHeader();
    if (code === OBJECT_END) {
      if (!inner) refuse('end-of-object marker at the top level');
      return;
    }
    if (code === ARRAY_END) refuse('end-of-array marker in an object');
    walkValue(c, code >> 16, depth);
  }
}

/** STNumber: a 64-bit mantissa and a 32-bit exponent. */
const NUMBER_BYTES = 12;

function walkValue(c: Cursor, type: number, depth: number): void {
  const fixed = FIXED_WIDTH.get(type);
  if (fixed !== undefined) return c.skip(fixed);
  switch (type) {
    case T.NUMBER:
      return c.skip(NUMBER_BYTES);
    case T.VL:
      return c.skip(c.vlLength());
    case T.ACCOUNT: {
      const n = c.vlLength();
      if (n !== 0 && n !== 20) refuse(`account of ${n} bytes`);
      return c.skip(n);
    }
    case T.VECTOR256: {
      const n = c.vlLength();
      if (n % 32 !== 0) refuse('hash vector not a whole number of hashes');
      return c.skip(n);
    }
    case T.AMOUNT: {
      c.need(1);
      const b0 = c.bytes[c.pos]!;
      return c.skip(b0 & 0x80 ? 48 : b0 & 0x20 ? 33 : 8);
    }
    case T.ISSUE:
      return walkIssue(c);
    case T.PATHSET:
      return walkPathSet(c);
    case T.XCHAIN_BRIDGE:
      for (let i = 0; i < 2; i++) {
        const n = c.vlLength();
        if (n !== 20) refuse(`bridge account of ${n} bytes`);
        c.skip(20);
        walkIssue(c);
      }
      return;
    case T.OBJECT:
      if (depth >= MAX_DEPTH) refuse('nested too deep');
      return walkFields(c, depth + 1, true);
    case T.ARRAY:
      if (depth >= MAX_DEPTH) refuse('nested too deep');
      for (;;) {
        if (c.pos === c.end) refuse('array without its end marker');
        const code = c.fieldHeader();
        if (code === ARRAY_END) return;
        if (code >> 16 !== T.OBJECT || code === OBJECT_END) refuse('array holds something other than objects');
        if (depth + 1 >= MAX_DEPTH) refuse('nested too deep');
        walkFields(c, depth + 2, true);
      }
    default:
      return refuse(`type ${type} is not a serialized type`);
  }
}

function walkIssue(c: Cursor): void {
  c.need(20);
  const xrp = c.allZero(20);
  c.skip(20);
  if (xrp) return;
  c.need(20);
  // An account of zero or one here marks an MPT issue, whose length differs between versions.
  if (c.allZero(19) && (c.bytes[c.pos + 19] ?? 0) <= 1) throw new Unsure('MPT issue');
  c.skip(20);
}

function walkPathSet(c: Cursor): void {
  for (;;) {
    const t = c.u8();
    if (t === 0x00) return;
    if (t === 0xff) continue;
    if (t & ~0x31) refuse(`path element type ${t}`);
    if (t & 0x01) c.skip(20);
    if (t & 0x10) c.skip(20);
    if (t & 0x20) c.skip(20);
  }
}
