/**
 * GET /crawl against rippled's OverlayImpl: the `server` section is server_info as a non-admin
 * sees it (no network_ledger object, no hostid, only non-admin ports, idle load figures), the
 * `unl` section is ValidatorList::getJson for a node without lists, and an entry names a version
 * only when the peer sent one. Unit tests, then real nodes on 127.0.11.1–3.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildServerInfo, crawlEntry, LOAD_BASE, portsJson, unlInfo, type OverlayServerFacts } from '../src/overlay/crawl.js';
import type { Peer } from '../src/peer/peer.js';
import { NodeEvent, NodeStatus } from '../src/protocol/messages.js';
import { adminStanzas, rpc, RPC_PORT, WS_PORT } from './support/admin.js';
import { crawlOf, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const HUB = '127.0.11.1';
const EDGE = '127.0.11.2';
const OTHER = '127.0.11.3';

afterEach(() => stopAllNodes());

const FACTS: OverlayServerFacts = {
  build_version: '0.1.0',
  pubkey_node: 'n9KxVYHhYdXRLPYDb1LtwFZzDbcgHPVYon9iejXFji9Z3bwi6VS8',
  server_state: 'connected',
  uptime: 42,
  peers: 3,
  ports: [{ port: PEER_PORT, protocols: ['peer'], admin: [] }],
  peer_disconnects: 0,
  peer_disconnects_resources: 0,
};
const ENV = { now: new Date(Date.UTC(2026, 11, 2, 8, 16, 27, 128)), hostid: 'vm' };

function fakePeer(version: string): Peer {
  return {
    info: { crawl: 'public', publicKey: Buffer.alloc(33, 2), direction: 'out', version, remoteIp: '203.0.113.5', listeningPort: PEER_PORT },
    uptimeSeconds: 9,
    completeLedgers: undefined,
  } as unknown as Peer;
}

describe('crawl entries', () => {
  it('carry `version` only when the peer sent one (getOverlayInfo)', () => {
    expect(crawlEntry(fakePeer(''), 'hide')).toEqual({ public_key: Buffer.alloc(33, 2).toString('base64'), type: 'out', uptime: 9, ip: '203.0.113.5', port: PEER_PORT });
    expect(crawlEntry(fakePeer('rippled-2.3.0'), 'hide')?.version).toBe('rippled-2.3.0');
  });
});

describe('the unl section', () => {
  it('is ValidatorList::getJson with no publishers, minus what getUnlInfo removes, plus validator_sites', () => {
    expect(unlInfo()).toEqual({
      // rippled 3.1.2's /crawl unl carries validator_list_threshold (rippled-3.1.2-answers.json, R_crawl).
      validator_list: { count: 0, expiration: 'unknown', status: 'unknown', validator_list_threshold: 1 },
      local_static_keys: [],
      publisher_lists: [],
      validator_sites: [],
    });
  });
});

describe('buildServerInfo', () => {
  it('crawl view: non-human fields, idle load, no hostid, no admin-only fields', () => {
    expect(buildServerInfo({ ...FACTS, newest_peer_ledger: { seq: 7, hash: 'AB' } }, 'crawl', ENV)).toEqual({
      build_version: '0.1.0',
      complete_ledgers: 'empty',
      load_base: 256,
      load_factor: 256,
      load_factor_server: 256,
      newest_peer_ledger: { seq: 7, hash: 'AB' },
      peer_disconnects: '0',
      peer_disconnects_resources: '0',
      peers: 3,
      ports: [{ port: `${PEER_PORT}`, protocol: ['peer'] }],
      pubkey_node: FACTS.pubkey_node,
      server_state: 'connected',
      time: '2026-Dec-02 08:16:27.128000 UTC',
      uptime: 42,
    });
    expect(LOAD_BASE).toBe(256);
  });

  it('admin view: hostid, human load factor, validator_list and pubkey_validator; never network_ledger', () => {
    const node: OverlayServerFacts = {
      ...FACTS,
      ports: [{ port: PEER_PORT, protocols: ['peer'], admin: [] }, { port: RPC_PORT, protocols: ['http'], admin: ['127.0.0.1/32'] }],
      peer_disconnects: 4,
      peer_disconnects_resources: 1,
    };
    const info = buildServerInfo({ ...node, network_id: 21338, server_domain: 'example.com', newest_peer_ledger: { seq: 7 } }, 'admin', ENV);
    expect(info).toEqual({
      build_version: '0.1.0',
      complete_ledgers: 'empty',
      hostid: 'vm',
      load_factor: 1,
      network_id: 21338,
      newest_peer_ledger: { seq: 7 },
      peer_disconnects: '4',
      peer_disconnects_resources: '1',
      peers: 3,
      ports: [
        { port: `${PEER_PORT}`, protocol: ['peer'] },
        { port: `${RPC_PORT}`, protocol: ['http'] },
      ],
      pubkey_node: FACTS.pubkey_node,
      pubkey_validator: 'none',
      server_domain: 'example.com',
      server_state: 'connected',
      time: '2026-Dec-02 08:16:27.128000 UTC',
      uptime: 42,
      validator_list: { count: 0, expiration: 'unknown', status: 'unknown' },
    });
    // The crawl view of the same node leaves the admin port out.
    expect(buildServerInfo(node, 'crawl', ENV).ports).toEqual([{ port: `${PEER_PORT}`, protocol: ['peer'] }]);
  });

  it('ports: known protocols only, in rippled’s order; a port with no protocol left is dropped', () => {
    const ports = [
      { port: WS_PORT, protocols: ['wss', 'http', 'ws'], admin: [] },
      { port: 50051, protocols: ['grpc'], admin: [] },
      { port: RPC_PORT, protocols: ['https'], admin: ['::1/128'] },
    ];
    expect(portsJson(ports, false)).toEqual([{ port: `${WS_PORT}`, protocol: ['http', 'ws', 'wss'] }]);
    expect(portsJson(ports, true)).toEqual([
      { port: `${WS_PORT}`, protocol: ['http', 'ws', 'wss'] },
      { port: `${RPC_PORT}`, protocol: ['https'] },
    ]);
  });
});

describe('GET /crawl on real nodes', () => {
  it('server is the non-admin server_info of the admin command’s builder; unl has rippled’s shape', async () => {
    const common = '[network_id]\n21338\n\n[server_domain]\nexample.com\n';
    const hub = await startNode({ ip: HUB, extra: `${adminStanzas({ ip: HUB, rpcPort: RPC_PORT, wsPort: WS_PORT })}\n${common}` });
    const edge = await startNode({ ip: EDGE, extra: `[network_id]\n21338\n\n[ips_fixed]\n${HUB} ${PEER_PORT}` });
    await waitFor('the edge to connect', () => hub.overlay.peers().length === 1 && edge.overlay.peers().length === 1);

    edge.overlay.peers()[0]!.send('STATUS_CHANGE', {
      newStatus: NodeStatus.VALIDATING,
      newEvent: NodeEvent.ACCEPTED_LEDGER,
      ledgerSeq: 1000,
      ledgerHash: Buffer.alloc(32, 0xab),
      ledgerHashPrevious: Buffer.alloc(32, 0xaa),
      networkTime: 800_000_000,
      firstSeq: 900,
      lastSeq: 1000,
    });
    await waitFor('the hub to take the ledger', () => hub.overlay.serverInfo().newest_peer_ledger?.seq === 1000);

    const crawl = await crawlOf(hub);
    const server = crawl.server;
    expect(Object.keys(server).sort()).toEqual([
      'build_version',
      'complete_ledgers',
      'load_base',
      'load_factor',
      'load_factor_server',
      'network_id',
      'newest_peer_ledger',
      'peer_disconnects',
      'peer_disconnects_resources',
      'peers',
      'ports',
      'pubkey_node',
      'server_domain',
      'server_state',
      'time',
      'uptime',
    ]);
    expect(server).toMatchObject({
      complete_ledgers: 'empty',
      load_base: 256,
      load_factor: 256,
      load_factor_server: 256,
      network_id: 21338,
      newest_peer_ledger: { seq: 1000, hash: 'AB'.repeat(32) },
      peer_disconnects: '0',
      peer_disconnects_resources: '0',
      peers: 1,
      pubkey_node: hub.identity.n9,
      server_domain: 'example.com',
      server_state: 'connected',
    });
    expect(server.time).toMatch(/^\d{4}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} UTC$/);
    // The admin ports have an admin = list: a crawler sees the peer port only.
    expect(server.ports).toEqual([{ port: `${PEER_PORT}`, protocol: ['peer'] }]);
    expect(crawl.unl).toEqual(unlInfo());
    expect(crawl.overlay.active[0]).toMatchObject({ version: 'xrpl-overlay-0.1.0', complete_ledgers: '900-1000' });

    // The admin command: the same builder, admin view.
    const info = (await rpc(HUB, RPC_PORT, 'server_info')).result.info;
    expect(info).not.toHaveProperty('network_ledger');
    expect(info).toMatchObject({
      newest_peer_ledger: { seq: 1000, hash: 'AB'.repeat(32) },
      load_factor: 1,
      pubkey_validator: 'none',
      validator_list: { count: 0, expiration: 'unknown', status: 'unknown' },
      hostid: expect.any(String),
    });
    expect(info.ports).toEqual([
      { port: `${PEER_PORT}`, protocol: ['peer'] },
      { port: `${RPC_PORT}`, protocol: ['http'] },
      { port: `${WS_PORT}`, protocol: ['ws'] },
    ]);

    // A disconnect shows in both, from the same counter.
    await edge.stop();
    await waitFor('the hub to lose the edge', () => hub.overlay.peers().length === 0);
    const after = await crawlOf(hub);
    expect(after.server.peer_disconnects).toBe('1');
    expect((await rpc(HUB, RPC_PORT, 'server_info')).result.info.peer_disconnects).toBe('1');
  });

  it('a node without admin ports lists its peer port and counts disconnects all the same', async () => {
    const other = await startNode({ ip: OTHER });
    const crawl = await crawlOf(other);
    expect(crawl.server.ports).toEqual([{ port: `${PEER_PORT}`, protocol: ['peer'] }]);
    expect(crawl.server).toMatchObject({ peer_disconnects: '0', peer_disconnects_resources: '0', server_state: 'disconnected' });
    expect(crawl.server).not.toHaveProperty('network_ledger');
    expect(crawl.server).not.toHaveProperty('hostid');
  });
});
