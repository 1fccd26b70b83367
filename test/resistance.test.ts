/**
 * Socket-level resistance (issue 10): after each attack the node is still up, still answers /crawl
 * and still talks to its other peers. Nodes on 127.0.110.x only.
 */
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSelfSignedCertificate } from '../src/identity/certificate.js';
import { NodeIdentity } from '../src/identity/node-key.js';
import { dialPeer, type LocalNode } from '../src/peer/handshake-io.js';
import { Peer } from '../src/peer/peer.js';
import { encodeMessage } from '../src/protocol/codec.js';
import { encodeFrame } from '../src/protocol/framing.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import { lz4CompressBlock } from '../src/protocol/lz4.js';
import { MessageType } from '../src/protocol/message-types.js';
import { PingType } from '../src/protocol/messages.js';
import { crawlOf, startNode, stopAllNodes, waitFor } from './support/nodes.js';

afterEach(stopAllNodes);

function localNode(): LocalNode {
  return {
    identity: NodeIdentity.generate(),
    tls: makeSelfSignedCertificate(),
    userAgent: 'xrpl-overlay-test',
    crawlPublic: true,
    features: { ...NO_FEATURES, compression: true },
    instanceCookie: 7n,
  };
}

/** A well-behaved peer that stays connected, to check the node still talks to others. */
async function bystander(ip: string) {
  const est = await dialPeer({ host: ip, port: 51235, local: localNode() });
  const peer = new Peer(est.info, est.socket, est.rest, { pingIntervalMs: 60_000 });
  let pongs = 0;
  peer.on('message', (m) => {
    if (m.name === 'PING' && m.message.type === PingType.PONG) pongs++;
  });
  peer.start();
  return {
    peer,
    async stillTalks() {
      const before = pongs;
      peer.send('PING', { type: PingType.PING, seq: 5 });
      await waitFor('a pong from the node', () => pongs > before, 15_000);
    },
  };
}

async function stillServes(ip: string, node: Awaited<ReturnType<typeof startNode>>, other: Awaited<ReturnType<typeof bystander>>) {
  const crawl = await crawlOf(node);
  expect(crawl.overlay.active.length).toBeGreaterThanOrEqual(1);
  await other.stillTalks();
  expect(other.peer.closed).toBe(false);
  void ip;
}

describe('resistance', () => {
  it('garbage after TLS is answered at once, not after the 30 s handshake timeout', async () => {
    const ip = '127.0.110.1';
    const node = await startNode({ ip });
    const other = await bystander(ip);
    await waitFor('the bystander', () => node.overlay.peers().length === 1);
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: ip, port: 51235, rejectUnauthorized: false }, () => s.write(Buffer.from('00ffffff0003', 'hex')));
      let text = '';
      s.on('data', (d) => (text += d.toString('latin1')));
      s.on('close', () => resolve(text));
      s.on('error', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    // Well under the 30 s timeout, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    await stillServes(ip, node, other);
    other.peer.close('test over');
  });

  it('an LZ4 bomb of an unknown type costs the node nothing; it still serves', async () => {
    const ip = '127.0.110.2';
    const node = await startNode({ ip, extra: '[compression]\n1' });
    const other = await bystander(ip);
    const attacker = await dialPeer({ host: ip, port: 51235, local: localNode() });
    attacker.socket.on('error', () => {});
    await waitFor('both peers', () => node.overlay.peers().length === 2);
    const block = lz4CompressBlock(Buffer.alloc(0x03ffffff, 0x41));
    const header = Buffer.alloc(10);
    header.writeUInt32BE((0x90000000 | block.length) >>> 0, 0);
    header.writeUInt16BE(999, 4);
    header.writeUInt32BE(0x03ffffff, 6);
    const frame = Buffer.concat([header, block]);
    for (let i = 0; i < 40; i++) attacker.socket.write(frame);
    attacker.socket.write(encodeFrame(MessageType.PING, encodeMessage('PING', { type: PingType.PING, seq: 1 })));
    await stillServes(ip, node, other);
    // Not charged for unknown types: nobody was dropped.
    expect(node.overlay.peers()).toHaveLength(2);
    attacker.socket.destroy();
    other.peer.close('test over');
  }, 60_000);
});
