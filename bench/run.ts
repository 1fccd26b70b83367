/**
 * Runs every benchmark and prints one markdown table: `npm run bench`.
 * - `npm run bench` (all benches) also adds the table to BENCHMARKS.md, under a heading with the
 *   date, the machine's CPU and core count and the Node version, above the earlier runs (kept).
 * - `npm run bench -- --quick` runs each bench for a few seconds (CI: test/bench-quick.test.ts) and
 *   only prints; the reduce-relay network bench (about a minute, 20 nodes) and the discovery simulation
 *   (test/peerfinder/sim.test.ts runs its 30-node case) are left out of it.
 * - `npm run bench -- network` (100 of our nodes, one process each; `--quick`: 10) and `-- scale`
 *   (5,000 idle peers on one node; `--quick`: 300) are in both runs.
 * - `npm run bench -- reduce-relay` / `-- load` run the benches named and only print; `--write` adds
 *   their table to BENCHMARKS.md as well (for a run that must keep off other benches' addresses).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchDiscovery } from './discovery.bench.js';
import { benchFraming } from './framing.bench.js';
import { benchHandshake } from './handshake.bench.js';
import { benchLoad } from './load.bench.js';
import { benchNetwork } from './network.bench.js';
import { benchRelay } from './relay.bench.js';
import { benchReduceRelay } from './reduce-relay.bench.js';
import { benchScale } from './scale.bench.js';
import type { BenchFunction, BenchResult } from './types.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const named: Record<string, BenchFunction> = {
  framing: benchFraming,
  handshake: benchHandshake,
  relay: benchRelay,
  load: benchLoad,
  'reduce-relay': benchReduceRelay,
  discovery: benchDiscovery,
  network: benchNetwork,
  scale: benchScale,
};
const picked = args.filter((a) => !a.startsWith('--'));
for (const p of picked) if (!named[p]) throw new Error(`no bench named ${p}; known: ${Object.keys(named).join(', ')}`);
const only = picked.length > 0 ? picked : Object.keys(named).filter((n) => !(quick && (n === 'reduce-relay' || n === 'discovery')));

function toMarkdown(results: BenchResult[]): string {
  const rows = results.map(
    (r) => `| ${r.name} | ${r.value} | ${r.unit} | ${r.baseline ?? ''} | ${r.ratio ?? ''} |`,
  );
  return ['| bench | value | unit | baseline | ratio |', '|---|---:|---|---|---:|', ...rows].join('\n');
}

const results: BenchResult[] = [];
for (const name of only) results.push(...(await named[name]!({ quick })));
const table = toMarkdown(results);
console.log(table);

if (!quick && (picked.length === 0 || args.includes('--write'))) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const command = ['npm run bench', ...(picked.length > 0 ? ['--', ...args] : [])].join(' ');
  const heading = `## ${new Date().toISOString().slice(0, 10)} — \`${command}\`, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  const at = text.indexOf('\n## ');
  const section = `${heading}\n\n${table}\n`;
  writeFileSync(file, at < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, at + 1)}${section}\n${text.slice(at + 1)}`);
  console.log(`\nadded to BENCHMARKS.md under "${heading}"`);
}
