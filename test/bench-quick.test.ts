/**
 * `npm run bench -- --quick` runs every bench briefly (the reduce-relay network bench excepted, see
 * bench/run.ts) and each must produce a figure: a finite number in every row, and the rows of each
 * bench present. Never a time bound: this machine's speed is not what is tested.
 * Addresses: 127.0.115.1-4 (targets) and 127.0.215.x (the load tool's peers); the network and scale
 * benches' nodes on 127.0.152.x and their harness and load peers from 127.0.153.x; ephemeral ports.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

interface Row {
  name: string;
  value: number;
  ratio: string;
}

function runQuick(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('npx', ['tsx', 'bench/run.ts', '--quick'], { cwd: new URL('..', import.meta.url).pathname, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`bench --quick failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function rows(markdown: string): Row[] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| bench |'))
    .map((l) => l.split('|').map((c) => c.trim()))
    .map((c) => ({ name: c[1]!, value: Number(c[2]), ratio: c[5]! }));
}

describe('npm run bench -- --quick', () => {
  // Generous: on a loaded 2-core machine the quick run (processes started, keys made) took 50-80 s, and
  // the network (10 node processes) and scale (300 peers) benches add 25-45 s each there.
  it('gives a figure in every row of every bench', { timeout: 420_000 }, async () => {
    const out = await runQuick();
    const all = rows(out);
    const expected = [
      'frame decode 1 KB plain',
      'frame decode 1 MB lz4',
      'full peer handshake (median of 10)',
      'relay check, transaction',
      'full peer handshakes/s',
      'node CPU per handshake',
      'pings answered',
      'node CPU per ping answered',
      'RSS per idle peer',
      '/crawl p99 with',
      'unique transactions relayed to 10 peers',
    ];
    for (const prefix of expected) expect(all.filter((r) => r.name.startsWith(prefix)).length, prefix).toBeGreaterThan(0);
    for (const r of all) expect(Number.isFinite(r.value), `${r.name}: ${r.value}`).toBe(true);
    // The load rows compare against the bare-Node baseline of the same run: each has a ratio.
    for (const r of all.filter((x) => expected.slice(4).some((p) => x.name.startsWith(p)))) {
      expect(Number.isFinite(Number(r.ratio)), `${r.name} ratio ${r.ratio}`).toBe(true);
    }
    // The network bench (10 node processes from one seed) and the scale bench (300 idle peers on one node).
    const scaleRows = [
      'network: every node has its outbound peers',
      'network: one connected mesh',
      'network: RSS per node',
      'network: CPU per idle node',
      'network: a validation reaches every node',
      'network: nodes that accepted the validation once',
      'idle peers held by one node process: RSS with',
      'idle peers held by one node process: RSS per peer',
      'idle peers held by one node process: peers still held',
    ];
    const row = (prefix: string) => all.filter((r) => r.name.startsWith(prefix));
    for (const prefix of scaleRows) expect(row(prefix).length, prefix).toBe(1);
    // What those rows report as behaviour, not time: one connected graph; the validation accepted and
    // relayed once by each of the 10 nodes; every peer still held.
    expect(row('network: one connected mesh')[0]!.value).toBe(1);
    expect(row('network: nodes that accepted the validation once')[0]!.value).toBe(10);
    expect(row('idle peers held by one node process: peers still held')[0]!.value).toBe(300);
    // Rows measured against a baseline of the same run carry a ratio.
    for (const prefix of ['network: every node has its outbound peers', 'network: RSS per node', 'idle peers held by one node process: RSS']) {
      for (const r of row(prefix)) expect(Number.isFinite(Number(r.ratio)), `${r.name} ratio ${r.ratio}`).toBe(true);
    }
  });
});
