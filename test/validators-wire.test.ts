/**
 * Validator lists, manifests and the untrusted relay policy on real sockets (127.0.112.0/24 only).
 * A hub A knows one publisher key; private leaves S (sender), B and C reach each other only through
 * A. Lists, manifests, proposals and validations are made by the harness (test/support/validators.ts)
 * from keys generated here.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import type { Peer } from '../src/peer/peer.js';
import type { PeerMessage } from '../src/protocol/codec.js';
import { runCommand } from '../src/admin/handlers.js';
import { httpsGet, portOf, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { LedgerChain, netNow, sha512Half, TestKey, TestPublisher, TestValidator } from './support/validators.js';

afterEach(stopAllNodes);

const NET = '127.0.112';
const DAY = 86_400;

interface Line {
  hub: Daemon;
  sender: Daemon;
  leaves: Daemon[];
  heard: Map<Daemon, PeerMessage[]>;
  toHub: Peer;
  atHub: () => Peer;
}

async function network(prefix: number, hubExtra: string): Promise<Line> {
  const HUB = `${NET}.${prefix}`;
  const hub = await startNode({ ip: HUB, extra: hubExtra });
  const leaf = (i: number) => startNode({ ip: `${NET}.${prefix + i}`, extra: `[peer_private]\n1\n[ips_fixed]\n${HUB} ${PEER_PORT}` });
  const sender = await leaf(1);
  const leaves = [await leaf(2), await leaf(3)];
  await waitFor('all connected to the hub', () => hub.overlay.peers().length === 3 && [sender, ...leaves].every((d) => d.overlay.peers().length === 1));
  const heard = new Map<Daemon, PeerMessage[]>();
  for (const d of [sender, ...leaves]) {
    const log: PeerMessage[] = [];
    heard.set(d, log);
    d.overlay.on('message', (_p, m) => log.push(m));
  }
  const senderKey = sender.identity.n9;
  return { hub, sender, leaves, heard, toHub: sender.overlay.peers()[0]!, atHub: () => hub.overlay.peers().find((p) => p.info.n9 === senderKey)! };
}

const count = (log: PeerMessage[] | undefined, ...names: string[]) => (log ?? []).filter((m) => names.includes(m.name)).length;

/** A few round trips on every link, so that anything relayed would have arrived (a ping answered is proof of order). */
let pingSeq = 4242;
async function settle(line: Line): Promise<void> {
  const seq = ++pingSeq;
  for (const d of [line.sender, ...line.leaves]) d.overlay.peers()[0]!.send('PING', { type: 0, seq });
  await waitFor('pongs back', () => [line.sender, ...line.leaves].every((d) => line.heard.get(d)!.some((m) => m.name === 'PING' && m.message.type === 1 && m.message.seq === seq)));
}

function listMessage(pub: TestPublisher, b: { blob: string; signature: string }) {
  return { manifest: Buffer.from(pub.manifestB64), blob: Buffer.from(b.blob), signature: Buffer.from(b.signature), version: 1 };
}

describe('validator lists on the wire', () => {
  it('applies a list from a peer, relays it once to the peers that lack it, charges a repeat and a forgery, and serves it at /vl', async () => {
    const pub = new TestPublisher();
    const vals = [new TestValidator(TestKey.random()), new TestValidator(TestKey.random())];
    const line = await network(1, `[validator_list_keys]\n${pub.keyHex}`);
    const hubVal = line.hub.overlay.opts.validators!;
    expect(hubVal.list.quorum).toBe(Number.MAX_SAFE_INTEGER); // configured publisher, no list yet
    const b1 = pub.blob({ sequence: 1, expiration: netNow() + DAY, validators: vals });
    const charge = vi.spyOn(line.atHub(), 'charge');
    line.toHub.send('VALIDATOR_LIST', listMessage(pub, b1));
    for (const leaf of line.leaves) await waitFor('the list relayed to a leaf', () => count(line.heard.get(leaf), 'VALIDATOR_LIST', 'VALIDATOR_LIST_COLLECTION') === 1);
    expect(hubVal.list.trustedMasterKeys()).toHaveLength(2);
    expect(hubVal.list.quorum).toBe(2);
    // The same list again: not relayed again, and the sender pays feeUnwantedData (150).
    line.toHub.send('VALIDATOR_LIST', listMessage(pub, b1));
    // A forged list (signed by another key): refused, feeInvalidSignature (2000).
    line.toHub.send('VALIDATOR_LIST', listMessage(pub, pub.blob({ sequence: 2, expiration: netNow() + DAY, validators: vals, signer: TestKey.random() })));
    await waitFor("both charged", () => charge.mock.calls.filter((c) => c[0].cost > 1).length >= 2);
    expect(charge.mock.calls.map((c) => c[0].cost).filter((c) => c > 1)).toEqual([150, 2000]);
    await settle(line);
    for (const leaf of line.leaves) expect(count(line.heard.get(leaf), 'VALIDATOR_LIST', 'VALIDATOR_LIST_COLLECTION')).toBe(1);
    expect(count(line.heard.get(line.sender), 'VALIDATOR_LIST', 'VALIDATOR_LIST_COLLECTION')).toBe(0);
    // rippled's /vl/<publisher key>: the list as the publisher's site serves it.
    const r = await httpsGet(line.hub.config.peerPort.ip, portOf(line.hub), `/vl/${pub.keyHex}`);
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body).toEqual({ manifest: pub.manifestB64, version: 1, public_key: pub.keyHex, blob: b1.blob, signature: b1.signature });
    expect((await httpsGet(line.hub.config.peerPort.ip, portOf(line.hub), `/vl/${new TestPublisher().keyHex}`)).status).toBe(404);
    // Reports.
    const ctx = { overlay: line.hub.overlay } as never;
    const v = runCommand(ctx, 'validators', {}, { transport: 'http' });
    expect(v.validation_quorum).toBe(2);
    expect(new Set(v.trusted_validator_keys as string[])).toEqual(new Set(vals.map((x) => x.master.n9)));
    expect((v.publisher_lists as any[])[0]).toMatchObject({ available: true, pubkey_publisher: pub.keyHex, seq: 1, version: 1, uri: `${NET}.2:${line.atHub().info.remotePort}` });
    expect(v.signing_keys).toEqual(Object.fromEntries(vals.map((x) => [x.master.n9, x.ephemeral.n9])));
    expect((v.validator_list as any).status).toBe('active');
    const m = runCommand(ctx, 'manifest', { public_key: vals[0]!.ephemeral.n9 }, { transport: 'http' });
    expect(m).toMatchObject({ requested: vals[0]!.ephemeral.n9, manifest: vals[0]!.manifest!.toString('base64'), details: { master_key: vals[0]!.master.n9, ephemeral_key: vals[0]!.ephemeral.n9, seq: 1 } });
    const info = runCommand(ctx, 'server_info', {}, { transport: 'http' }).info as any;
    expect(info.validation_quorum).toBe(2);
    expect(info.validator_list).toMatchObject({ count: 1, status: 'active' });
    const crawl = line.hub.overlay.crawl() as any;
    expect(crawl.unl.publisher_lists[0].list.sort()).toEqual(vals.map((x) => x.master.n9).sort());
    expect(crawl.unl.validator_sites).toEqual([]);
  });

  it('relays untrusted proposals only under [relay_proposals] all, and follows the list as it changes; a revoked manifest ends trust', async () => {
    const pub = new TestPublisher();
    const v1 = new TestValidator(TestKey.random());
    const v2 = new TestValidator(TestKey.random());
    const line = await network(11, `[validator_list_keys]\n${pub.keyHex}`);
    const hubVal = line.hub.overlay.opts.validators!;
    line.toHub.send('VALIDATOR_LIST', listMessage(pub, pub.blob({ sequence: 1, expiration: netNow() + DAY, validators: [v1] })));
    await waitFor('v1 trusted', () => hubVal.list.trusted(v1.ephemeral.publicKey));
    const chain = new LedgerChain(100);
    let seq = 0;
    const propose = (v: TestValidator) => line.toHub.send('PROPOSE_LEDGER', v.proposal({ proposeSeq: seq++, closeTime: netNow(), previousLedger: chain.hash, txSet: sha512Half(Buffer.from(`txset ${seq}`)) }));
    const leaf = line.heard.get(line.leaves[0]!)!;
    propose(v1);
    await waitFor('the trusted proposal relayed', () => count(leaf, 'PROPOSE_LEDGER') === 1);
    propose(v2);
    // An untrusted validation is relayed under rippled's default [relay_validations] all.
    line.toHub.send('VALIDATION', { validation: chain.validationBy(v2, netNow()) });
    await waitFor('the untrusted validation relayed', () => count(leaf, 'VALIDATION') === 1);
    await settle(line);
    expect(count(leaf, 'PROPOSE_LEDGER')).toBe(1);
    expect(hubVal.heldBack.proposals).toBe(1);
    // A new list trusts v2 instead.
    line.toHub.send('VALIDATOR_LIST', listMessage(pub, pub.blob({ sequence: 2, expiration: netNow() + DAY, validators: [v2] })));
    await waitFor('v2 trusted, v1 not', () => hubVal.list.trusted(v2.ephemeral.publicKey) && !hubVal.list.trusted(v1.ephemeral.publicKey));
    expect(hubVal.list.quorum).toBe(1);
    propose(v2);
    await waitFor('v2 proposal relayed', () => count(leaf, 'PROPOSE_LEDGER') === 2);
    propose(v1);
    await settle(line);
    expect(count(leaf, 'PROPOSE_LEDGER')).toBe(2);
    expect(hubVal.heldBack.proposals).toBe(2);
    // v2 revokes its master key: relayed once, and v2 is no longer trusted.
    line.toHub.send('MANIFESTS', { list: [{ stobject: v2.revocation() }] });
    await waitFor('revocation relayed', () => count(leaf, 'MANIFESTS') === 1);
    await waitFor('v2 untrusted', () => !hubVal.list.trusted(v2.master.publicKey));
    line.toHub.send('MANIFESTS', { list: [{ stobject: v2.revocation() }] });
    await settle(line);
    expect(count(leaf, 'MANIFESTS')).toBe(1); // known already: not relayed again
    expect(hubVal.list.trustedMasterKeys()).toHaveLength(0);
  });

  it('relays untrusted proposals under [relay_proposals] all', async () => {
    const line = await network(21, '[relay_proposals]\nall');
    const v = new TestValidator(TestKey.random());
    line.toHub.send('PROPOSE_LEDGER', v.proposal({ proposeSeq: 0, closeTime: netNow(), previousLedger: sha512Half(Buffer.from('a')), txSet: sha512Half(Buffer.from('b')) }));
    await waitFor('relayed', () => count(line.heard.get(line.leaves[0]!), 'PROPOSE_LEDGER') === 1);
    expect(line.hub.overlay.opts.validators!.heldBack.proposals).toBe(0);
  });

  it('drop_untrusted drops an untrusted proposal before its signature is checked; trusted checks it (and charges a forgery)', async () => {
    for (const [prefix, policy, charged] of [
      [61, 'drop_untrusted', false],
      [65, 'trusted', true],
    ] as const) {
      const line = await network(prefix, `[relay_proposals]\n${policy}`);
      const charge = vi.spyOn(line.atHub(), 'charge');
      const v = new TestValidator(TestKey.random());
      const p = v.proposal({ proposeSeq: 0, closeTime: netNow(), previousLedger: sha512Half(Buffer.from('a')), txSet: sha512Half(Buffer.from('b')) });
      p.signature = Buffer.from(p.signature);
      p.signature[p.signature.length - 1] ^= 1;
      line.toHub.send('PROPOSE_LEDGER', p);
      await settle(line);
      expect(charge.mock.calls.some((c) => c[0].cost === 2000), policy).toBe(charged);
      expect(line.hub.overlay.opts.validators!.heldBack.proposals).toBe(1);
      expect(count(line.heard.get(line.leaves[0]!), 'PROPOSE_LEDGER')).toBe(0);
      await stopAllNodes();
    }
  });

  it('sends a new inbound peer the lists and manifests it knows', async () => {
    const pub = new TestPublisher();
    const v = new TestValidator(TestKey.random());
    const line = await network(31, `[validator_list_keys]\n${pub.keyHex}`);
    line.toHub.send('VALIDATOR_LIST', listMessage(pub, pub.blob({ sequence: 1, expiration: netNow() + DAY, validators: [v] })));
    await waitFor('trusted', () => line.hub.overlay.opts.validators!.list.trusted(v.master.publicKey));
    const late = await startNode({ ip: `${NET}.35`, extra: `[peer_private]\n1\n[ips_fixed]\n${NET}.31 ${PEER_PORT}` });
    const log: PeerMessage[] = [];
    late.overlay.on('message', (_p, m) => log.push(m));
    await waitFor('list and manifests received', () => count(log, 'VALIDATOR_LIST', 'VALIDATOR_LIST_COLLECTION') === 1 && count(log, 'MANIFESTS') === 1);
    const manifests = log.find((m) => m.name === 'MANIFESTS')!;
    expect(manifests.name === 'MANIFESTS' && manifests.message.list.map((e) => e.stobject.toString('hex'))).toEqual([v.manifest!.toString('hex')]);
  });
});

describe('validator list sites', () => {
  it('fetches a list from an http site and a file:// site, and reports a site that is down without stopping', async () => {
    const pubHttp = new TestPublisher();
    const pubFile = new TestPublisher();
    const v = new TestValidator(TestKey.random());
    const w = new TestValidator(TestKey.random());
    const server = http.createServer((req, res) => {
      if (req.url === '/old') {
        res.writeHead(301, { location: '/vl.json' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(pubHttp.siteV1(pubHttp.blob({ sequence: 7, expiration: netNow() + DAY, validators: [v] }))));
    });
    await new Promise<void>((r) => server.listen(0, `${NET}.50`, r));
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(path.join(tmpdir(), 'vl-site-'));
    const file = path.join(dir, 'vl.json');
    writeFileSync(file, JSON.stringify(pubFile.siteV1(pubFile.blob({ sequence: 3, expiration: netNow() + DAY, validators: [v, w] }))));
    try {
      const extra = [
        '[validator_list_sites]',
        `http://${NET}.50:${port}/old`,
        pathToFileURL(file).toString(),
        `http://${NET}.51:9/down`,
        '[validator_list_keys]',
        pubHttp.keyHex,
        pubFile.keyHex,
      ].join('\n');
      const node = await startNode({ ip: `${NET}.41`, extra });
      const hub = node.overlay.opts.validators!;
      await waitFor('both lists applied', () => [...hub.list.publishers.values()].every((p) => p.status === 'available'));
      expect(hub.list.trusted(v.master.publicKey) && hub.list.trusted(w.master.publicKey)).toBe(true);
      // Threshold 1 of 2 publishers: v (on both) and w (on one) are trusted.
      expect(hub.list.listThreshold).toBe(1);
      expect(hub.list.quorum).toBe(2);
      const sites = runCommand({ overlay: node.overlay } as never, 'validator_list_sites', {}, { transport: 'http' }).validator_sites as any[];
      await waitFor('the down site reported', () => (runCommand({ overlay: node.overlay } as never, 'validator_list_sites', {}, { transport: 'http' }).validator_sites as any[])[2].last_refresh_status === 'invalid');
      expect(sites.map((s) => s.uri)).toEqual([`http://${NET}.50:${port}/old`, pathToFileURL(file).toString(), `http://${NET}.51:9/down`]);
      expect(sites[0]).toMatchObject({ last_refresh_status: 'accepted', refresh_interval_min: 5 });
      expect(sites[1]).toMatchObject({ last_refresh_status: 'accepted' });
      expect(node.overlay.peers()).toHaveLength(0); // still running, nothing else broken
    } finally {
      server.close();
    }
  });
});
