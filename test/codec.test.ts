import { describe, expect, it } from 'vitest';
import { encodeNodePublic } from 'ripple-address-codec';
import { decodeMessage, encodeMessage, DecodeError, hasField, isKnownType } from '../src/protocol/codec.js';
import { MessageType, messageTypeName } from '../src/protocol/message-types.js';
import { toBigInt, toNumber } from '../src/protocol/messages.js';
import { frameVectors, payloadOf } from './support/vectors.js';

const hex = (b: Buffer | undefined) => (b ? b.toString('hex').toUpperCase() : null);

describe('message codec against rippled 3.1.2 frames', () => {
  const vectors = frameVectors();

  it('has the recorded frames', () => {
    expect(vectors.length).toBe(139);
  });

  it.each(vectors.map((v, i) => [`${i} ${v.capture} ${v.name}`, v] as const))('decodes %s to what rippled sent', (_label, v) => {
    const decoded = decodeMessage(v.type, payloadOf(v));
    const e = v.expect;
    expect(decoded.type).toBe(v.type);
    switch (decoded.name) {
      case 'PING':
        expect(decoded.message.type).toBe(e.type);
        expect(decoded.message.seq).toBe(e.seq);
        expect(hasField(decoded.message, 'pingTime')).toBe(e.pingTime !== null);
        break;
      case 'PROPOSE_LEDGER': {
        const m = decoded.message;
        expect(m.proposeSeq).toBe(e.proposeSeq);
        expect(hex(m.currentTxHash)).toBe(e.currentTxHash);
        expect(encodeNodePublic(m.nodePubKey)).toBe(e.nodePubKey);
        expect(m.closeTime).toBe(e.closeTime);
        expect(hex(m.previousledger)).toBe(e.previousledger);
        expect(hex(m.signature)).toBe(e.signature);
        expect(m.addedTransactions.length).toBe(e.addedTransactions);
        expect(m.removedTransactions.length).toBe(e.removedTransactions);
        break;
      }
      case 'STATUS_CHANGE': {
        const m = decoded.message;
        expect(hasField(m, 'newStatus') ? m.newStatus : null).toBe(e.newStatus);
        expect(m.newEvent).toBe(e.newEvent);
        expect(m.ledgerSeq).toBe(e.ledgerSeq);
        expect(hex(m.ledgerHash)).toBe(e.ledgerHash);
        expect(hex(m.ledgerHashPrevious)).toBe(e.ledgerHashPrevious);
        expect(toNumber(m.networkTime)).toBe(e.networkTime);
        expect(m.firstSeq).toBe(e.firstSeq);
        expect(m.lastSeq).toBe(e.lastSeq);
        break;
      }
      case 'VALIDATION':
        // The STValidation blob carries the signing key; check it is in there.
        expect(decoded.message.validation.toString('hex').toUpperCase()).toContain(e.fields.SigningPubKey);
        expect(decoded.message.validation.toString('hex').toUpperCase()).toContain(e.fields.Signature);
        break;
      case 'TRANSACTION': {
        const m = decoded.message;
        expect(m.status).toBe(e.status);
        expect(toNumber(m.receiveTimestamp)).toBe(e.receiveTimestamp);
        expect(Number(m.deferred ?? 0)).toBe(e.deferred);
        expect(m.rawTransaction.toString('hex').toUpperCase()).toContain(e.tx.TxnSignature);
        break;
      }
      case 'HAVE_SET':
        expect(decoded.message.status).toBe(e.status);
        expect(hex(decoded.message.hash)).toBe(e.hash);
        break;
      case 'ENDPOINTS':
        expect(decoded.message.version).toBe(e.version);
        expect(decoded.message.endpoints_v2.map((x) => ({ endpoint: x.endpoint, hops: x.hops }))).toEqual(e.endpoints_v2);
        break;
      case 'GET_LEDGER': {
        const m = decoded.message;
        expect(m.itype).toBe(e.itype);
        expect(hasField(m, 'ltype') ? m.ltype : null).toBe(e.ltype);
        expect(hasField(m, 'ledgerHash') ? hex(m.ledgerHash) : null).toBe(e.ledgerHash);
        expect(hasField(m, 'ledgerSeq') ? m.ledgerSeq : null).toBe(e.ledgerSeq);
        expect(m.nodeIDs.map((n) => hex(n))).toEqual(e.nodeIDs);
        expect(hasField(m, 'requestCookie') ? toBigInt(m.requestCookie)!.toString() : null).toBe(e.requestCookie);
        expect(hasField(m, 'queryType') ? m.queryType : null).toBe(e.queryType);
        expect(hasField(m, 'queryDepth') ? m.queryDepth : null).toBe(e.queryDepth);
        break;
      }
      case 'LEDGER_DATA': {
        const m = decoded.message;
        expect(hex(m.ledgerHash)).toBe(e.ledgerHash);
        expect(m.ledgerSeq).toBe(e.ledgerSeq);
        expect(m.type).toBe(e.type);
        expect(hasField(m, 'error') ? m.error : null).toBe(e.error);
        expect(m.nodes.map((n) => ({ nodedata_len: n.nodedata.length, nodeid: hasField(n, 'nodeid') ? hex(n.nodeid) : null }))).toEqual(e.nodes);
        break;
      }
      default:
        throw new Error(`no expectation written for ${decoded.name}`);
    }
  });

  it('re-encodes every recorded message to the bytes rippled sent', () => {
    for (const v of vectors) {
      const payload = payloadOf(v);
      const decoded = decodeMessage(v.type, payload);
      expect(encodeMessage(decoded.name, decoded.message as never).toString('hex'), `${v.capture} ${v.name}`).toBe(
        payload.toString('hex'),
      );
    }
  });
});

describe('message codec', () => {
  it('round-trips a ping with 64-bit fields', () => {
    const bytes = encodeMessage('PING', { type: 0, seq: 4294967295, pingTime: 2 ** 40 + 3 });
    const d = decodeMessage(MessageType.PING, bytes);
    expect(d.name).toBe('PING');
    if (d.name !== 'PING') return;
    expect(d.message.seq).toBe(4294967295);
    expect(toBigInt(d.message.pingTime)).toBe(2n ** 40n + 3n);
    expect(hasField(d.message, 'netTime')).toBe(false);
  });

  it('matches the hand-encoded ping rippled sent (ptPONG seq 1000)', () => {
    expect(encodeMessage('PING', { type: 1, seq: 1000 }).toString('hex')).toBe('080110e807');
  });

  it('rejects a known type whose required fields are missing', () => {
    // TMPing with only seq (field 2) and no type (field 1, required)
    expect(() => decodeMessage(MessageType.PING, Buffer.from('10e807', 'hex'))).toThrow(DecodeError);
  });

  it('rejects truncated and garbage payloads without crashing', () => {
    expect(() => decodeMessage(MessageType.ENDPOINTS, Buffer.from('08021a0e0a0a5b3a', 'hex'))).toThrow(DecodeError);
    expect(() => decodeMessage(MessageType.VALIDATION, Buffer.from('ffffffffffffffffffff', 'hex'))).toThrow(DecodeError);
  });

  it('refuses to encode a message without its required fields', () => {
    expect(() => encodeMessage('HAVE_SET', { status: 1 } as never)).toThrow(/hash/);
  });

  it('skips unknown fields and knows which types exist', () => {
    // TMPing type=0 plus an unknown field 9 (varint 5)
    const d = decodeMessage(MessageType.PING, Buffer.from('08004805', 'hex'));
    expect(d.name).toBe('PING');
    expect(isKnownType(1)).toBe(false);
    expect(isKnownType(50)).toBe(false);
    expect(isKnownType(64)).toBe(true);
    expect(messageTypeName(63)).toBe('HAVE_TRANSACTIONS');
  });
});
