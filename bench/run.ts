/** Runs every benchmark and prints one markdown table: `npm run bench`. */
import { benchDiscovery } from './discovery.bench.js';
import { benchFraming } from './framing.bench.js';
import { benchHandshake } from './handshake.bench.js';
import { benchRelay } from './relay.bench.js';
import { benchReduceRelay } from './reduce-relay.bench.js';
import type { BenchFunction, BenchResult } from './types.js';

const benches: BenchFunction[] = [benchFraming, benchHandshake, benchRelay, benchReduceRelay, benchDiscovery];
// `npm run bench -- reduce-relay` runs only the network bench (about a minute).
const only = process.argv[2] === 'reduce-relay' ? [benchReduceRelay] : benches;

function toMarkdown(results: BenchResult[]): string {
  const rows = results.map(
    (r) => `| ${r.name} | ${r.value} | ${r.unit} | ${r.baseline ?? ''} | ${r.ratio ?? ''} |`,
  );
  return ['| bench | value | unit | baseline | ratio |', '|---|---:|---|---|---:|', ...rows].join('\n');
}

const results: BenchResult[] = [];
for (const bench of only) results.push(...(await bench()));
console.log(toMarkdown(results));
