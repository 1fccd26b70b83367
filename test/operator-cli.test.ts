/**
 * The CLI and logs for people: the peers table fitting a terminal (and --wide), colour only when
 * asked for, the plain answer when no --conf is given, the `node` field on log lines, and the
 * periodic status line. The daemon here runs on 127.0.111.160.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatPeers, shortKey } from '../src/admin/format.js';
import { StatusMeter, statusText } from '../src/status-log.js';
import { runCli } from './support/admin.js';
import { nodeConfigText } from './support/nodes.js';

const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-opcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY_A = 'n9MLTbJxTCPXAL3GJjbqdicgsq9KNqc9NCKHeFj4y5sgfgtDYz7h';
const KEY_B = 'n9KxVYHhYdXRLPYDb1LtwFZzDbcgHPVYon9iejXFji9Z3bwi6VS8';
const PEERS = {
  cluster: {},
  peers: [
    { public_key: KEY_A, address: '127.0.0.72:43239', inbound: true, version: 'xrpl-overlay-0.1.0', protocol: 'XRPL/2.2', uptime: 7, load: 0, track: 'diverged', metrics: { total_bytes_recv: '1536', total_bytes_sent: '0' } },
    { public_key: KEY_B, address: '127.0.0.71:51235', name: 'edge-b', version: 'rippled-3.1.2', protocol: 'XRPL/2.2', uptime: 3725, latency: 12, complete_ledgers: '32570 - 32600', status: 'validating', load: 12, metrics: { total_bytes_recv: '0', total_bytes_sent: '0' } },
  ],
};
const ANSI = /\x1b\[[0-9;]*m/g;

describe('the peers table', () => {
  it('shows every column when the width is not limited (a pipe, or --wide)', () => {
    const text = formatPeers(PEERS);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^PUBLIC KEY\s+ADDRESS\s+DIR\s+NAME\s+VERSION\s+PROTOCOL\s+UPTIME\s+LATENCY\s+LEDGERS\s+TRACK\s+STATUS\s+LOAD\s+RECV\s+SENT$/);
    expect(lines[1]).toContain(KEY_A);
    expect(text).not.toMatch(ANSI);
    expect(text).not.toContain('left out');
  });

  for (const width of [80, 100, 120]) {
    it(`fits a ${width}-column terminal: the key is shortened, then columns are left out`, () => {
      const text = formatPeers(PEERS, {}, { width, colour: false });
      const table = text.split('\n\n')[0]!.split('\n');
      for (const line of table) expect(line.length).toBeLessThanOrEqual(width);
      expect(table[1]).toContain(shortKey(KEY_A));
      expect(table[1]).not.toContain(KEY_A);
      // Address and direction always stay, and the note says how to see the rest.
      expect(table[0]).toMatch(/^PUBLIC KEY\s+ADDRESS\s+DIR/);
      expect(text).toMatch(/\(\d+ columns? left out to fit the terminal; --wide shows all\)/);
    });
  }

  it('colours the tracking state only when asked, without moving the columns', () => {
    const plain = formatPeers(PEERS, {}, { width: 200, colour: false });
    const coloured = formatPeers(PEERS, {}, { width: 200, colour: true });
    expect(coloured).toContain('\x1b[31mdiverged');
    expect(coloured.replace(ANSI, '')).toBe(plain);
  });

  it('shortKey keeps the start and end of a node key', () => {
    expect(shortKey(KEY_A)).toBe('n9MLTbJxTCPX…Yz7h');
    expect(shortKey('n9short')).toBe('n9short');
  });
});

describe('no --conf', () => {
  it('says plainly that a node started without --conf opens no admin port', async () => {
    const r = await runCli(['peers']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'xrpl-overlay: no --conf given, and a node started without --conf opens no admin port. Pass the --conf FILE the node runs with; ' +
        'its [port_rpc_admin_local] or [port_ws_admin_local] is where commands go.\n',
    );
  });
});

describe('the status line', () => {
  it('counts peers and items relayed per second between two reads', () => {
    let now = 1_000_000;
    const source = {
      relayed: { items: 100 },
      peers: () => [{ info: { direction: 'in' as const } }, { info: { direction: 'out' as const } }, { info: { direction: 'out' as const } }],
      serverInfo: () => ({ newest_peer_ledger: { seq: 90_000 } }),
      ledgerAgeSeconds: () => 2,
    };
    const meter = new StatusMeter(source, () => now);
    now += 300_000;
    source.relayed.items += 1500;
    const s = meter.read();
    expect(s).toEqual({ peersIn: 1, peersOut: 2, ledger: 90_000, ledgerAge: 2, relayedPerSecond: 5 });
    expect(statusText(s)).toBe('status: 3 peers (1 in, 2 out), ledger 90000 (2 s ago), 5 relayed/s');
  });
});

describe('a daemon started from the CLI', () => {
  it('puts node=[server_domain] on every line, --name overrides it, and logs the status line', async () => {
    const ip = '127.0.111.160';
    const file = join(dir, 'named.cfg');
    writeFileSync(
      file,
      nodeConfigText({ ip, overlay: ['status_log_interval = 0.2'], extra: `[server_domain]\nexample.com\n\n[database_path]\n${join(dir, 'named')}` }),
    );
    for (const [args, name] of [[[], 'example.com'], [['--name', 'edge-1'], 'edge-1']] as const) {
      const lines = await runDaemon(['--conf', file, ...args], (ls) => ls.some((l) => String(l.msg).startsWith('status: ')));
      expect(lines.length).toBeGreaterThan(2);
      for (const l of lines) expect(l.node, String(l.msg)).toBe(name);
      expect(lines.find((l) => String(l.msg).startsWith('status: '))).toMatchObject({ level: 30, msg: 'status: 0 peers (0 in, 0 out), no ledger yet, 0 relayed/s' });
    }
  });
});

/** Runs the daemon until `done` holds for its JSON log lines, then stops it with SIGTERM. */
function runDaemon(args: string[], done: (lines: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    let err = '';
    let stopped = false;
    // Generous: tsx compiles the CLI on a loaded machine before the node starts.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`daemon did not log what was expected: ${err}`));
    }, 20_000);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      buffered += c.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const p of parts) if (p) lines.push(JSON.parse(p));
      if (!stopped && done(lines)) {
        stopped = true; // once: a second SIGTERM would end it without a clean stop
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`daemon exited ${code}: ${err}`));
      else resolve(lines);
    });
  });
}
