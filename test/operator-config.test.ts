/**
 * Config and start-up as operators meet them: [rpc_startup], unknown keys, rippled stanzas we do
 * not use, listen errors, data-dir errors, the [database_path] sub-folder (and moving the files an
 * older version left there), one log line per peer connection, and /health for a relay whose
 * peers track the network. Nodes on 127.0.111.140–149.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config/config.js';
import { type Daemon, startDaemon } from '../src/daemon.js';
import { DATABASE_SUBDIR } from '../src/data-dir.js';
import { NodeEvent, NodeStatus } from '../src/protocol/messages.js';
import { adminStanzas, rpc, RPC_PORT, runCli } from './support/admin.js';
import { httpsGet, nodeConfigText, PEER_PORT, startNode, stopAllNodes, waitFor } from './support/nodes.js';

const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-opconf-'));
const daemons: Daemon[] = [];

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop().catch(() => {})));
  await stopAllNodes();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A logger at `level` whose lines are kept as parsed objects. */
function capture(level: pino.Level = 'info'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level, base: undefined }, sink), lines };
}

async function start(ip: string, extra: string, log: Logger, dataDir = join(dir, ip), file = `${ip}.cfg`): Promise<Daemon> {
  const d = await startDaemon({ config: parseConfig(nodeConfigText({ ip, extra }), file), dataDir, log });
  daemons.push(d);
  return d;
}

describe('[rpc_startup]', () => {
  it('runs log_level at start, as rippled does', async () => {
    const { log } = capture('info');
    const ip = '127.0.111.140';
    const d = await start(ip, `${adminStanzas({ ip, rpcPort: RPC_PORT, admin: '127.0.0.0/8' })}\n[rpc_startup]\n{ "command": "log_level", "severity": "warning" }`, log);
    expect(log.level).toBe('warn');
    expect((await rpc(ip, RPC_PORT, 'log_level')).result.levels).toEqual({ base: 'Warning' });
    await d.stop();
  });

  it('a line that is not a command object stops the config with file:line', () => {
    expect(() => parseConfig('[rpc_startup]\n{ "command": "log_level", "severity": "debug" }\nlog_level debug\n', 'n.cfg')).toThrow(
      /^n\.cfg:3: \[rpc_startup\]: expected a JSON object like/,
    );
    expect(() => parseConfig('[rpc_startup]\n{ "severity": "debug" }\n', 'n.cfg')).toThrow('n.cfg:2: [rpc_startup]: the object has no "command"');
  });

  it('a command that fails stops the start with file:line, and frees the ports', async () => {
    const ip = '127.0.111.141';
    const { log } = capture();
    const bad = `[rpc_startup]\n{ "command": "log_level", "severity": "loud" }`;
    const line = nodeConfigText({ ip, extra: bad }).split('\n').findIndex((l) => l.includes('"loud"')) + 1;
    await expect(start(ip, bad, log, undefined, 'bad.cfg')).rejects.toThrow(
      `bad.cfg:${line}: [rpc_startup]: log_level: Invalid field 'severity': expected one of trace, debug, info, warning, error, fatal.`,
    );
    // The peer port was closed again: the same address starts.
    await start(ip, '', log);
  });
});

describe('what the config holds that does nothing', () => {
  it('an unknown key in a known stanza is a warning with file:line; rippled stanzas are listed once at info', async () => {
    const ip = '127.0.111.142';
    const text = [
      '[port_peer]', `ip = ${ip}`, `port = ${PEER_PORT}`, 'protocol = peer', 'protocl = peer', 'user = alice', '',
      '[node_db]', 'type = NuDB', '', '[ledger_history]', '256', '', '[crawl]', 'overlay = 1', 'privat_peers = hide',
    ].join('\n');
    const config = parseConfig(text, 'op.cfg');
    expect(config.ignored).toContainEqual({ stanza: 'port_peer', line: 5, key: 'protocl', reason: 'unknown' });
    expect(config.ignored).toContainEqual({ stanza: 'port_peer', line: 6, key: 'user', reason: 'unused' });
    expect(config.ignored).toContainEqual({ stanza: 'crawl', line: 16, key: 'privat_peers', reason: 'unknown' });
    expect(config.ignored).toContainEqual({ stanza: 'node_db', line: 8, reason: 'unused' });
    expect(config.ignored).toContainEqual({ stanza: 'ledger_history', line: 11, reason: 'unused' });
    expect(config.ignored).toHaveLength(5);

    const { log, lines } = capture('info');
    const d = await startDaemon({ config, dataDir: join(dir, ip), log });
    daemons.push(d);
    // The config's warnings (a node without a validator list also warns that it holds proposals back: not about a line).
    const warnings = lines.filter((l) => l.level === 40 && String(l.msg).startsWith('op.cfg:')).map((l) => l.msg);
    expect(warnings).toEqual(["op.cfg:5: [port_peer]: unknown key 'protocl' ignored", "op.cfg:16: [crawl]: unknown key 'privat_peers' ignored"]);
    const listed = lines.filter((l) => String(l.msg).startsWith('rippled settings this node does not use'));
    expect(listed).toHaveLength(1);
    expect(listed[0]!.msg).toBe('rippled settings this node does not use, ignored: [port_peer] user, [node_db], [ledger_history]');
  });
});

describe('ports and data directory', () => {
  it('a taken peer port names the stanza and address, and the CLI exits 1', async () => {
    const ip = '127.0.111.143';
    const { log } = capture();
    await start(ip, '', log);
    await expect(start(ip, '', log, join(dir, 'second'))).rejects.toThrow(`[port_peer] 127.0.111.143:${PEER_PORT}: address already in use`);
    const file = join(dir, 'taken.cfg');
    writeFileSync(file, nodeConfigText({ ip, extra: `[database_path]\n${join(dir, 'taken')}` }));
    const cli = await runCli(['--conf', file]);
    expect(cli.code).toBe(1);
    expect(cli.err).toBe(`xrpl-overlay: [port_peer] 127.0.111.143:${PEER_PORT}: address already in use\n`);
  });

  it('a taken admin port names its stanza, and the peer port is closed again', async () => {
    const ip = '127.0.111.144';
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(RPC_PORT, ip, () => r()));
    try {
      const { log } = capture();
      await expect(start(ip, adminStanzas({ ip, rpcPort: RPC_PORT }), log)).rejects.toThrow(`[port_rpc_admin_local] 127.0.111.144:${RPC_PORT}: address already in use`);
      await start(ip, '', log); // 51235 is free again
    } finally {
      blocker.close();
    }
  });

  it('an unusable data dir says where its path came from', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const { log } = capture();
    const ip = '127.0.111.145';
    await expect(start(ip, '', log, join(file, 'sub'))).rejects.toThrow(`cannot use the data directory ${join(file, 'sub')} (from --data-dir): a file of that name is in the way (not a directory)`);
    const config = parseConfig(nodeConfigText({ ip, extra: `[database_path]\n${file}` }), 'db.cfg');
    await expect(startDaemon({ config, log })).rejects.toThrow(`(from [database_path] in db.cfg)`);
  });

  it('state lives in a sub-folder of [database_path]; files an older version left there are moved, so the key stays', async () => {
    const ip = '127.0.111.146';
    const db = join(dir, 'shared-with-rippled');
    const { log, lines } = capture();
    // An older version wrote straight into the folder.
    const old = await start(ip, '', log, db);
    const key = old.identity.n9;
    await old.stop();
    expect(existsSync(join(db, 'node-key.json'))).toBe(true);
    mkdirSync(join(db, 'db'), { recursive: true }); // rippled's own databases stay where they are

    const config = parseConfig(nodeConfigText({ ip, extra: `[database_path]\n${db}` }), 'db.cfg');
    const d = await startDaemon({ config, log });
    daemons.push(d);
    expect(d.dataDir).toBe(join(db, DATABASE_SUBDIR));
    expect(d.identity.n9).toBe(key);
    expect(existsSync(join(db, 'node-key.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(db, DATABASE_SUBDIR, 'node-key.json'), 'utf8'))).toBeTypeOf('object');
    expect(existsSync(join(db, 'db'))).toBe(true);
    expect(lines.find((l) => l.msg === 'state files moved into the data directory')).toMatchObject({ from: db, to: join(db, DATABASE_SUBDIR) });
  });
});

describe('logs', () => {
  it('a peer connection is one info line on each side', async () => {
    const a = capture('info');
    const b = capture('info');
    const hub = await start('127.0.111.147', '', a.log);
    await start('127.0.111.148', `[ips_fixed]\n127.0.111.147 ${PEER_PORT}`, b.log);
    await waitFor('both sides connected', () => a.lines.some((l) => l.msg === 'peer connected') && b.lines.some((l) => l.msg === 'peer connected'));
    for (const side of [a, b]) {
      const about = side.lines.filter((l) => l.level === 30 && /peer|outbound|inbound/.test(String(l.msg)) && l.msg !== 'peer port listening');
      expect(about.map((l) => l.msg)).toEqual(['peer connected']);
    }
    expect(b.lines.find((l) => l.msg === 'peer connected')).toMatchObject({ direction: 'out' });

    // The fixed peer goes away: one line for the loss, then one line per failed redial.
    const mark = b.lines.length;
    await hub.stop();
    await waitFor('two failed redials', () => b.lines.slice(mark).filter((l) => l.msg === 'fixed peer unreachable, backing off').length >= 2);
    const after = b.lines.slice(mark).filter((l) => (l.level as number) >= 30);
    expect(after.filter((l) => l.msg === 'peer disconnected')).toEqual([expect.objectContaining({ fixed: true, direction: 'out' })]);
    expect(after.filter((l) => l.msg !== 'peer disconnected').map((l) => l.msg)).toEqual(
      after.filter((l) => l.msg !== 'peer disconnected').map(() => 'fixed peer unreachable, backing off'),
    );
  });
});

describe('/health for a relay', () => {
  it('is 200 once its peers track the network, with [overlay] health_min_peers for a small relay', async () => {
    const relay = '127.0.111.149';
    const { log } = capture();
    const r = await start(relay, '', log, undefined);
    // rippled's default: fewer than 8 peers is a warning.
    const lone = await startNode({ ip: '127.0.111.150', extra: `[ips_fixed]\n${relay} ${PEER_PORT}` });
    await waitFor('the peer', () => r.overlay.peers().length === 1);
    const before = await httpsGet(relay, PEER_PORT, '/health');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body).info).toEqual({ peers: 1, validated_ledger: -1 });
    await r.stop();
    await lone.stop();

    // A relay meant to have one peer, whose peer reports the ledgers it accepts.
    const small = await start(relay, '[overlay]\nhealth_min_peers = 1', log, join(dir, 'small'));
    const feeder = await startNode({ ip: '127.0.111.151', extra: `[ips_fixed]\n${relay} ${PEER_PORT}` });
    await waitFor('the peer', () => small.overlay.peers().length === 1 && feeder.overlay.peers().length === 1);
    feeder.overlay.peers()[0]!.send('STATUS_CHANGE', {
      newStatus: NodeStatus.MONITORING,
      newEvent: NodeEvent.ACCEPTED_LEDGER,
      ledgerSeq: 5000,
      ledgerHash: Buffer.alloc(32, 0x5a),
      ledgerHashPrevious: Buffer.alloc(32, 0x59),
      networkTime: 800_000_000,
    });
    await waitFor('the ledger', () => small.overlay.ledgerAgeSeconds() !== undefined);
    const healthy = await httpsGet(relay, PEER_PORT, '/health');
    expect(healthy.status).toBe(200);
    expect(JSON.parse(healthy.body)).toEqual({ info: {} });
  });
});
