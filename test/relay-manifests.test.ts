/**
 * Manifest signatures checked before relaying a TMManifests, as rippled checks them
 * (OverlayImpl::onManifests → deserializeManifest, Manifest::verify): both signatures over
 * 'MAN\0' and every field but sfSignature and sfMasterSignature. Manifests whose signatures
 * verifiably fail are left out of the relayed message; what we cannot read exactly is relayed.
 *
 * The recorded vectors hold no manifests, so these are built here: ripple-binary-codec (XRPLF's own
 * encoder) serializes them, independently of our reader, and they are signed as rippled signs them.
 */
import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import * as binaryCodec from 'ripple-binary-codec';
import secp256k1 from 'secp256k1';
import { filterManifests, checkRelayItem } from '../src/relay/relay-checks.js';
import { checkManifestSignature } from '../src/ledger/signatures.js';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import { MessageType } from '../src/protocol/message-types.js';
import type { TMManifests } from '../src/protocol/messages.js';
import { portOf, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { highS } from './support/signing.js';

afterEach(stopAllNodes);

const { encode, decode } = binaryCodec;
type Json = Record<string, any>;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const sha512Half = (b: Uint8Array) => createHash('sha512').update(b).digest().subarray(0, 32);
/** HashPrefix::manifest. */
const MAN = Buffer.from('MAN\0', 'latin1');

interface Key {
  pub: Buffer;
  sign: (data: Buffer) => Buffer;
}

function secpKey(seed: string): Key {
  const priv = sha512Half(Buffer.from(`manifest test key ${seed}`));
  return {
    pub: Buffer.from(secp256k1.publicKeyCreate(priv, true)),
    sign: (data) => Buffer.from(secp256k1.signatureExport(secp256k1.ecdsaSign(sha512Half(data), priv).signature)),
  };
}

function edKey(): Key {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { pub: Buffer.concat([Buffer.from([0xed]), raw]), sign: (data) => cryptoSign(null, data, privateKey as KeyObject) };
}


interface ManifestSpec {
  master: Key;
  ephemeral?: Key;
  sequence: number;
  domain?: string;
  /** Signed over these fields instead (to forge one), or a different prefix. */
  signedExtra?: Json;
  prefix?: Buffer;
  masterSig?: (sig: Buffer) => Buffer;
}

/** A manifest as a validator's tooling builds one: the unsigned fields, signed by both keys. */
function manifest(spec: ManifestSpec): Buffer {
  const fields: Json = { PublicKey: hex(spec.master.pub), Sequence: spec.sequence };
  if (spec.ephemeral) fields.SigningPubKey = hex(spec.ephemeral.pub);
  if (spec.domain) fields.Domain = hex(Buffer.from(spec.domain));
  const signing = Buffer.concat([spec.prefix ?? MAN, Buffer.from(encode({ ...fields, ...spec.signedExtra }), 'hex')]);
  const out: Json = { ...fields };
  if (spec.ephemeral) out.Signature = hex(spec.ephemeral.sign(signing));
  const masterSig = spec.master.sign(signing);
  out.MasterSignature = hex(spec.masterSig ? spec.masterSig(masterSig) : masterSig);
  return Buffer.from(encode(out), 'hex');
}

const verdict = (raw: Uint8Array) => checkManifestSignature(raw).verdict;

/** [valueStart, end) of a field, found by re-encoding with ripple-binary-codec (not our reader). */
function valueOf(raw: Buffer, name: string): [number, number] {
  const json = decode(hex(raw)) as Json;
  const value = Buffer.from(json[name] as string, 'hex');
  const at = raw.indexOf(value);
  if (at < 0) throw new Error(`${name} not found`);
  return [at, at + value.length];
}

describe("manifest format facts (rippled's SFields, as ripple-binary-codec defines them)", () => {
  it('has the field codes rippled publishes for manifests, signing and not', () => {
    const fields = binaryCodec.DEFAULT_DEFINITIONS.field as unknown as Record<string, { name: string; nth: number; type: { name: string }; isSigningField: boolean }>;
    const byName = (n: string) => Object.values(fields).find((f) => f && f.name === n)!;
    const facts: [string, string, number, boolean][] = [
      ['PublicKey', 'Blob', 1, true],
      ['SigningPubKey', 'Blob', 3, true],
      ['Signature', 'Blob', 6, false],
      ['Domain', 'Blob', 7, true],
      ['MasterSignature', 'Blob', 18, false],
      ['Sequence', 'UInt32', 4, true],
      ['Version', 'UInt16', 16, true],
    ];
    for (const [name, type, nth, signing] of facts) {
      const f = byName(name);
      expect([f.type.name, f.nth, f.isSigningField]).toEqual([type, nth, signing]);
    }
  });
});

describe("manifest signatures (rippled's Manifest::verify)", () => {
  const secpMaster = secpKey('master');
  const secpEphemeral = secpKey('ephemeral');
  const edMaster = edKey();

  it('accepts valid manifests with either master key type, with and without a domain', () => {
    expect(verdict(manifest({ master: secpMaster, ephemeral: secpEphemeral, sequence: 1 }))).toBe('valid');
    expect(verdict(manifest({ master: edMaster, ephemeral: secpEphemeral, sequence: 7, domain: 'example.com' }))).toBe('valid');
    expect(verdict(manifest({ master: edMaster, ephemeral: edKey(), sequence: 2 }))).toBe('valid');
  });

  it('accepts a revocation: sequence 0xFFFFFFFF, no ephemeral key, the master signature alone', () => {
    expect(verdict(manifest({ master: secpMaster, sequence: 0xffffffff }))).toBe('valid');
    expect(verdict(manifest({ master: edMaster, sequence: 0xffffffff }))).toBe('valid');
  });

  it('fails a manifest with any signed or signature byte changed', () => {
    for (const m of [
      manifest({ master: secpMaster, ephemeral: secpEphemeral, sequence: 3, domain: 'example.com' }),
      manifest({ master: edMaster, ephemeral: secpEphemeral, sequence: 3, domain: 'example.com' }),
      manifest({ master: edMaster, sequence: 0xffffffff }),
    ]) {
      // No change anywhere makes it pass.
      for (let i = 0; i < m.length; i++) {
        const x = Buffer.from(m);
        x[i]! ^= 0x01;
        expect(verdict(x), `byte ${i}`).not.toBe('valid');
      }
      // A change in a signed value or a signature, that leaves the manifest readable, fails it.
      const json = decode(hex(m)) as Json;
      const names = ['PublicKey', 'Domain', 'MasterSignature', 'Signature'].filter((n) => json[n] !== undefined);
      for (const name of names) {
        const [start, end] = valueOf(m, name);
        // Past the first byte: that of a key is its type, and one of no known type fails open.
        for (const i of [start + 1, Math.floor((start + end) / 2), end - 1]) {
          const x = Buffer.from(m);
          x[i]! ^= 0x01;
          expect(verdict(x), `${name} byte ${i}`).toBe('invalid');
        }
      }
      if (json.Sequence !== 0xffffffff) expect(verdict(Buffer.from(encode({ ...json, Sequence: json.Sequence + 1 }), 'hex'))).toBe('invalid');
    }
  });

  it('fails a forged manifest: a new ephemeral key under an old master signature, signatures over other data, a high-S signature', () => {
    const genuine = decode(hex(manifest({ master: secpMaster, ephemeral: secpEphemeral, sequence: 4 }))) as Json;
    const other = secpKey('attacker');
    // The attacker's own ephemeral key and signature, the genuine master signature.
    const forged = Buffer.from(encode({ ...genuine, SigningPubKey: hex(other.pub), Signature: decode(hex(manifest({ master: other, ephemeral: other, sequence: 4 }))).Signature }), 'hex');
    expect(verdict(forged)).toBe('invalid');
    // A later sequence under the old signatures.
    expect(verdict(Buffer.from(encode({ ...genuine, Sequence: 5 }), 'hex'))).toBe('invalid');
    // Signed without the prefix ('VAL\0' instead of 'MAN\0').
    expect(verdict(manifest({ master: secpMaster, ephemeral: secpEphemeral, sequence: 4, prefix: Buffer.from('VAL\0', 'latin1') }))).toBe('invalid');
    // Signed over a domain the manifest does not carry.
    expect(verdict(manifest({ master: edMaster, ephemeral: secpEphemeral, sequence: 4, signedExtra: { Domain: hex(Buffer.from('example.com')) } }))).toBe('invalid');
    // rippled's verify demands a fully canonical (low-S) secp256k1 signature.
    expect(verdict(manifest({ master: secpMaster, ephemeral: secpEphemeral, sequence: 4, masterSig: highS }))).toBe('invalid');
  });

  it('relays what it cannot judge (fails open)', () => {
    const valid = decode(hex(manifest({ master: secpMaster, ephemeral: secpEphemeral, sequence: 1 }))) as Json;
    const unknowns: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('not a manifest at all, just garbage bytes'),
      Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff)),
      // A field rippled's manifest template does not have.
      Buffer.from(encode({ ...valid, Flags: 0 }), 'hex'),
      // A version rippled does not understand.
      Buffer.from(encode({ ...valid, Version: 1 }), 'hex'),
      // No master signature, or no ephemeral signature on a manifest that is no revocation.
      Buffer.from(encode({ ...valid, MasterSignature: undefined }), 'hex'),
      Buffer.from(encode({ ...valid, Signature: undefined }), 'hex'),
      // A master key of no known type.
      Buffer.from(encode({ ...valid, PublicKey: `04${valid.PublicKey.slice(2)}` }), 'hex'),
      // The ephemeral key is the master key.
      Buffer.from(encode({ ...valid, SigningPubKey: valid.PublicKey }), 'hex'),
      // A revocation carrying an ephemeral key.
      Buffer.from(encode({ ...valid, Sequence: 0xffffffff }), 'hex'),
      // Truncated.
      Buffer.from(encode(valid), 'hex').subarray(0, 40),
    ];
    for (const raw of unknowns) expect(checkManifestSignature(raw).verdict, raw.toString('hex')).toBe('unknown');
  });
});

describe('TMManifests relay filter', () => {
  const master = secpKey('filter master');
  const good = manifest({ master, ephemeral: secpKey('filter ephemeral'), sequence: 9 });
  const good2 = manifest({ master: edKey(), ephemeral: secpKey('filter ephemeral 2'), sequence: 1 });
  const forged = Buffer.from(encode({ ...(decode(hex(good)) as Json), Sequence: 10 }), 'hex');
  // Well-formed, but with a field rippled's manifest template lacks: we cannot judge it, so it is kept.
  const unjudged = Buffer.from(encode({ ...(decode(hex(good)) as Json), Flags: 0 }), 'hex');
  // Bytes that are not a serialized object at all: left out, without a charge (issue 10).
  const garbage = Buffer.from('garbage');
  const check = (m: TMManifests) => {
    const payload = encodeMessage('MANIFESTS', m);
    const r = checkRelayItem({ name: 'MANIFESTS', type: MessageType.MANIFESTS, message: m }, payload);
    if (!r.ok || !r.filter) throw new Error('expected a filter');
    return { payload, kept: r.filter() };
  };
  const listOf = (payload: Buffer) => {
    const m = decodeMessage(MessageType.MANIFESTS, payload);
    if (m.name !== 'MANIFESTS') throw new Error('not manifests');
    return m.message.list.map((e) => Buffer.from(e.stobject));
  };

  it('relays the original bytes when nothing fails, what it cannot judge included', () => {
    const { payload, kept } = check({ list: [{ stobject: good }, { stobject: unjudged }, { stobject: good2 }] });
    expect(kept.dropped).toBe(0);
    expect(kept.payload).toBe(payload);
  });

  it('leaves out bytes that are not a manifest at all, charging nothing', () => {
    const { kept } = check({ list: [{ stobject: good }, { stobject: garbage }, { stobject: good2 }] });
    expect(kept.dropped).toBe(1);
    expect(kept.charge).toBeUndefined();
    expect(listOf(kept.payload!)).toEqual([good, good2]);
  });

  it('re-encodes without the manifests that fail, keeping the order of the rest, and charges nothing (as rippled)', () => {
    const { kept } = check({ list: [{ stobject: good }, { stobject: forged }, { stobject: unjudged }, { stobject: good2 }] });
    expect(kept.dropped).toBe(1);
    expect(kept.charge).toBeUndefined();
    expect(listOf(kept.payload!)).toEqual([good, unjudged, good2]);
  });

  it('relays nothing when every manifest fails', () => {
    const { kept } = check({ list: [{ stobject: forged }, { stobject: forged }] });
    expect(kept.dropped).toBe(2);
    expect(kept.payload).toBeUndefined();
  });

  it('keeps the history flag of the message it re-encodes', () => {
    const kept = filterManifests({ list: [{ stobject: forged }, { stobject: good }], history: true }, Buffer.alloc(0));
    const m = decodeMessage(MessageType.MANIFESTS, kept.payload!);
    expect(m.name === 'MANIFESTS' && m.message.history).toBe(true);
  });
});

describe('TMManifests relay on the wire', () => {
  it('passes on only the good manifest of a good and a forged one, and nothing of a forged one alone', async () => {
    const HUB = '127.0.18.1';
    const hub = await startNode({ ip: HUB, port: 0 });
    // Private leaves, linked to the hub alone, so that every message takes one path.
    const sender = await startNode({ ip: '127.0.18.2', port: 0, extra: `[peer_private]\n1\n[ips_fixed]\n${HUB} ${portOf(hub)}` });
    const receiver = await startNode({ ip: '127.0.18.3', port: 0, extra: `[peer_private]\n1\n[ips_fixed]\n${HUB} ${portOf(hub)}` });
    await waitFor('both connected to the hub', () => hub.overlay.peers().length === 2 && sender.overlay.peers().length === 1 && receiver.overlay.peers().length === 1);
    const heard: Buffer[][] = [];
    receiver.overlay.on('message', (_p, m) => {
      if (m.name === 'MANIFESTS') heard.push(m.message.list.map((e) => Buffer.from(e.stobject)));
    });
    const toHub = sender.overlay.peers()[0]!;
    const senderAtHub = hub.overlay.peers().find((x) => x.info.n9 === sender.identity.n9)!;

    const master = edKey();
    const good = manifest({ master, ephemeral: secpKey('wire ephemeral'), sequence: 3, domain: 'example.com' });
    const forged = Buffer.from(encode({ ...(decode(hex(good)) as Json), Sequence: 4 }), 'hex');
    const forgedAlone = Buffer.from(encode({ ...(decode(hex(good)) as Json), Sequence: 5 }), 'hex');

    const before = senderAtHub.resource.balance;
    toHub.send('MANIFESTS', { list: [{ stobject: forgedAlone }] });
    toHub.send('MANIFESTS', { list: [{ stobject: forged }, { stobject: good }] });
    await waitFor('manifests at the receiver', () => heard.length > 0);
    await new Promise((r) => setTimeout(r, 400));
    expect(heard).toEqual([[good]]);
    // rippled charges nothing for an invalid manifest: only the per-message fee (1 each, decaying).
    expect(senderAtHub.resource.balance - before).toBeLessThan(10);
  });
});
