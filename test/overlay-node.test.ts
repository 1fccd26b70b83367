/**
 * The node as a library (127.0.113.0/24 only): OverlayNode from the package entry, its typed events
 * with decoded fields, the async iterators, and stop. A private sender S puts rippled 3.1.2's
 * recorded transaction and proposal on the wire, and the harness's manifests and validator list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OverlayNode, type TransactionEvent, type ValidatorListEvent } from 'xrpl-overlay';
import { decodeMessage } from '../src/protocol/codec.js';
import { FAST_OVERLAY, FAST_PEERFINDER, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { netNow, TestKey, TestPublisher, TestValidator } from './support/validators.js';
import { frameVectors, payloadOf } from './support/vectors.js';

const NET = '127.0.113';
const kv = (lines: string[]) => Object.fromEntries(lines.map((l) => l.split(' = ') as [string, string]));
const dataDir = mkdtempSync(join(tmpdir(), 'overlay-node-'));
let node: OverlayNode | undefined;
afterAll(async () => {
  await node?.stop();
  await stopAllNodes();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('OverlayNode', () => {
  it('emits typed, decoded events for peers, transactions, proposals, manifests and list updates; its iterators end at stop', async () => {
    const pub = new TestPublisher();
    const vals = [new TestValidator(TestKey.random()), new TestValidator(TestKey.random()), new TestValidator(TestKey.random())];
    node = new OverlayNode({ peerPort: { ip: `${NET}.20`, port: PEER_PORT }, dataDir, validators: [vals[0]!.master.n9], validatorListKeys: [pub.keyHex], overlay: kv(FAST_OVERLAY), peerfinder: kv(FAST_PEERFINDER) });
    const lists: ValidatorListEvent[] = [];
    node.on('validatorListUpdated', (e) => lists.push(e));
    const connected: string[] = [];
    node.on('peerConnected', (e) => connected.push(`${e.publicKey} ${e.direction}`));
    const proposals: unknown[] = [];
    node.on('proposal', (p) => proposals.push(p));
    const manifests: unknown[] = [];
    node.on('manifest', (m) => manifests.push(m));
    await node.start();
    const txs = node.stream('transaction');
    const collected: TransactionEvent[] = [];
    const reading = (async () => {
      for await (const t of txs) collected.push(t);
      return 'ended';
    })();

    const sender = await startNode({ ip: `${NET}.21`, extra: `[peer_private]\n1\n[ips_fixed]\n${NET}.20 ${PEER_PORT}` });
    await waitFor('S connected, on both sides', () => connected.length === 1 && sender.overlay.peers().length === 1);
    expect(connected).toEqual([`${sender.identity.n9} in`]);
    const toN = sender.overlay.peers()[0]!;

    const txVector = frameVectors().find((v) => v.type === 30)!;
    toN.send('TRANSACTION', (decodeMessage(30, payloadOf(txVector)) as any).message);
    const propVector = frameVectors().find((v) => v.type === 33)!;
    toN.send('PROPOSE_LEDGER', (decodeMessage(33, payloadOf(propVector)) as any).message);
    toN.send('MANIFESTS', { list: [{ stobject: vals[1]!.manifest! }] });
    await waitFor('transaction, proposal and manifest', () => collected.length === 1 && proposals.length === 1 && manifests.length === 1);
    expect(collected[0]).toMatchObject({ hash: txVector.expect.tx_hash, tx: { Amount: '250000000', Fee: '10', Account: 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh' } });
    expect(collected[0]!.raw).toEqual((decodeMessage(30, payloadOf(txVector)) as any).message.rawTransaction);
    const pe = propVector.expect;
    expect(proposals[0]).toEqual({
      publicKey: pe.nodePubKey,
      masterKey: pe.nodePubKey,
      proposeSeq: pe.proposeSeq,
      closeTime: pe.closeTime,
      previousLedger: pe.previousledger,
      txSet: pe.currentTxHash,
      signature: pe.signature,
      raw: payloadOf(propVector),
    });
    expect(manifests[0]).toEqual({ masterKey: vals[1]!.master.n9, signingKey: vals[1]!.ephemeral.n9, sequence: 1, raw: vals[1]!.manifest });

    // A publisher's list naming the three: the trusted set and quorum change, once.
    expect(lists).toEqual([{ trusted: [vals[0]!.master.n9], quorum: Number.MAX_SAFE_INTEGER }]);
    const b = pub.blob({ sequence: 1, expiration: netNow() + 86_400, validators: vals });
    toN.send('VALIDATOR_LIST', { manifest: Buffer.from(pub.manifestB64), blob: Buffer.from(b.blob), signature: Buffer.from(b.signature), version: 1 });
    await waitFor('list update', () => lists.length === 2, 5000);
    expect(lists[1]).toEqual({ trusted: vals.map((v) => v.master.n9).sort(), quorum: 3 });

    const gone = new Promise<string>((r) => node!.once('peerDisconnected', (e) => r(e.publicKey)));
    await sender.stop();
    expect(await gone).toBe(sender.identity.n9);
    await node.stop();
    expect(await reading).toBe('ended');
    node = undefined;
  });

  it('an iterator keeps at most iteratorBuffer items for a slow reader, dropping the oldest', async () => {
    const n = new OverlayNode({ iteratorBuffer: 2 });
    const it = n.stream('transaction');
    for (let i = 0; i < 5; i++) n.emit('transaction', { hash: String(i), raw: Buffer.alloc(0) });
    expect((await it.next()).value.hash).toBe('3');
    expect((await it.next()).value.hash).toBe('4');
    await it.return!();
    expect(n.listenerCount('transaction')).toBe(0);
  });
});

describe('the README example', () => {
  it('is examples/validated-ledgers.ts, word for word (test/monitor-wire.test.ts runs that file)', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const file = readFileSync(new URL('../examples/validated-ledgers.ts', import.meta.url), 'utf8');
    expect(readme).toContain('```ts\n' + file + '```');
    expect(file).toContain("from 'xrpl-overlay'");
    expect(file.split('\n').length).toBeLessThanOrEqual(26);
  });
});

describe('the package entry', () => {
  it('package.json exports dist/index.js with its types, ESM (.ci/run builds it and imports it by name)', async () => {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(pkg.scripts.docs).toBe('typedoc --out docs/api src/index.ts');
    expect(pkg.devDependencies.typedoc).toBeDefined();
    const entry = await import('xrpl-overlay');
    expect(typeof entry.OverlayNode).toBe('function');
    expect(typeof entry.decodeValidation).toBe('function');
  });
});

describe('OverlayNode options', () => {
  it('are read by the config parser: a bad value is a ConfigError naming the stanza, before anything opens', async () => {
    const { ConfigError } = await import('xrpl-overlay');
    const n = new OverlayNode({ peerPort: { ip: `${NET}.30`, port: PEER_PORT }, networkId: 'nowhere', dataDir });
    const err = await n.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^OverlayNodeOptions:\d+: \[network_id\]/);
    expect(n.address).toBeUndefined();
    const m = new OverlayNode({ peerPort: { ip: `${NET}.30`, port: PEER_PORT }, validatorMonitor: { settle_time: 0 }, dataDir });
    expect(String(await m.start().catch((e: unknown) => e))).toContain('[validator_monitor]: settle_time: expected a number of seconds from 0.1 to 3600');
  });
});
