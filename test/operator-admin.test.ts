/**
 * The admin API as the ecosystem's clients use it: the real `xrpl` package (xrpl.js) over the
 * admin WebSocket (ping, server_info, peers), and rippled's ping, server_state, version,
 * logrotate and log_level answers over JSON-RPC. Nodes on 127.0.111.130–132.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'xrpl';
import { parseConfig } from '../src/config/config.js';
import { type Daemon, startDaemon } from '../src/daemon.js';
import { makeLogger } from '../src/logger.js';
import { adminStanzas, rpc, RPC_PORT, WS_PORT } from './support/admin.js';
import { nodeConfigText, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const NODE = '127.0.111.130';
const PEER = '127.0.111.131';
const LOGGING = '127.0.111.132';
const ADMIN = '127.0.0.0/8';

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-opadmin-'));
let node: Daemon;
let peer: Daemon;

beforeAll(async () => {
  node = await startNode({ ip: NODE, extra: adminStanzas({ ip: NODE, rpcPort: RPC_PORT, wsPort: WS_PORT, admin: ADMIN }) });
  peer = await startNode({ ip: PEER, extra: `[ips_fixed]\n${NODE} ${PEER_PORT}` });
  await waitFor('the peer', () => node.overlay.peers().length === 1);
});

afterAll(async () => {
  await stopAllNodes();
  rmSync(dir, { recursive: true, force: true });
});

describe('xrpl.js as a client of the admin WebSocket', () => {
  it('connects, pings, and reads server_info and peers', async () => {
    const client = new Client(`ws://${NODE}:${WS_PORT}`, { connectionTimeout: 10_000 });
    await client.connect();
    try {
      expect(client.isConnected()).toBe(true);
      // xrpl.js sends api_version 2 unless told otherwise; ping is what its heartbeat sends.
      const ping = await client.request({ command: 'ping' });
      expect(ping.type).toBe('response');
      expect(ping.result).toEqual({ role: 'admin', unlimited: true });

      const info = await client.request({ command: 'server_info' });
      expect(info.result.info.pubkey_node).toBe(node.identity.n9);
      expect(info.result.info.peers).toBe(1);
      expect(info.result.info.server_state).toBe('connected');

      const state = await client.request({ command: 'server_state' });
      expect(state.result.state.pubkey_node).toBe(node.identity.n9);
      expect(state.result.state.load_base).toBe(256);

      // xrpl.js has no type for the admin `peers` command; the request goes out as written.
      const request = client.request.bind(client) as unknown as (r: { command: string }) => Promise<{ result: { peers: { public_key: string; inbound?: boolean }[] } }>;
      const list = (await request({ command: 'peers' })).result.peers;
      expect(list.map((p) => p.public_key)).toEqual([peer.identity.n9]);
      expect(list[0]!.inbound).toBe(true);
    } finally {
      await client.disconnect();
    }
  });

  it('an unknown command is a RippledError with rippled\'s token, not a dropped connection', async () => {
    const client = new Client(`ws://${NODE}:${WS_PORT}`, { connectionTimeout: 10_000 });
    await client.connect();
    try {
      await expect(client.request({ command: 'account_info', account: 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh' })).rejects.toMatchObject({
        name: 'RippledError',
        data: { error: 'unknownCmd', error_code: 32 },
      });
      // Still usable afterwards.
      expect((await client.request({ command: 'ping' })).result).toMatchObject({ role: 'admin' });
    } finally {
      await client.disconnect();
    }
  });
});

describe("rippled's connection-check commands over JSON-RPC", () => {
  it('ping answers the role (no `unlimited` outside WebSocket, as in rippled)', async () => {
    expect((await rpc(NODE, RPC_PORT, 'ping')).result).toEqual({ role: 'admin', status: 'success' });
  });

  it('server_state is server_info in machine form', async () => {
    const { result } = await rpc(NODE, RPC_PORT, 'server_state');
    expect(result.status).toBe('success');
    const s = result.state;
    expect(s.pubkey_node).toBe(node.identity.n9);
    expect(s.server_state).toBe('connected');
    expect(s.peers).toBe(1);
    expect(s.load_base).toBe(256);
    expect(s.load_factor).toBe(256);
    expect(s.validator_list_expires).toBe(0);
    expect(s.hostid).toBeUndefined();
    expect(s.validator_list).toBeUndefined();
    // An admin sees every port, admin ports included.
    expect(s.ports).toEqual([
      { port: `${PEER_PORT}`, protocol: ['peer'] },
      { port: `${RPC_PORT}`, protocol: ['http'] },
      { port: `${WS_PORT}`, protocol: ['ws'] },
    ]);
  });

  it('version: semantic-version strings for API 1, numbers for later versions', async () => {
    expect((await rpc(NODE, RPC_PORT, 'version')).result.version).toEqual({ first: '1.0.0', good: '1.0.0', last: '1.0.0' });
    expect((await rpc(NODE, RPC_PORT, 'version', { api_version: 2 })).result.version).toEqual({ first: 1, last: 3 });
  });

  it('log_level with a bad severity names the levels it takes', async () => {
    const { result } = await rpc(NODE, RPC_PORT, 'log_level', { severity: 'loud' });
    expect(result).toMatchObject({
      status: 'error',
      error: 'invalidParams',
      error_code: 31,
      error_message: "Invalid field 'severity': expected one of trace, debug, info, warning, error, fatal.",
    });
  });

  it('logrotate says so when the node has no log file', async () => {
    for (const name of ['logrotate', 'log_rotate']) {
      expect((await rpc(NODE, RPC_PORT, name)).result).toEqual({ message: 'The log file could not be closed and reopened.', status: 'success' });
    }
  });

  it('logrotate reopens [debug_logfile] after it was moved away', async () => {
    const logFile = join(dir, 'node.log');
    const text = nodeConfigText({ ip: LOGGING, extra: adminStanzas({ ip: LOGGING, rpcPort: RPC_PORT, admin: ADMIN }) });
    const log = makeLogger({ level: 'info', logFile, stdout: false });
    const daemon = await startDaemon({ config: parseConfig(text, 'logging.cfg'), dataDir: join(dir, 'logging'), log });
    try {
      await waitFor('the start line in the log file', () => readIfThere(logFile).includes('xrpl-overlay started'));
      renameSync(logFile, `${logFile}.1`);
      expect((await rpc(LOGGING, RPC_PORT, 'logrotate')).result).toEqual({ message: 'The log file was closed and reopened.', status: 'success' });
      log.info('after rotation');
      await waitFor('a new log file', () => readIfThere(logFile).includes('after rotation'));
      expect(readFileSync(`${logFile}.1`, 'utf8')).not.toContain('after rotation');
    } finally {
      await daemon.stop();
    }
  });
});
