/**
 * Discovery on the simulated network (src/peerfinder/sim) with rippled's default timers:
 * 12, 30 and 100 nodes that know one seed, under our rules and under rippled's (the three
 * [peerfinder] options of issue 17 off). Simulated time, so the numbers do not depend on the
 * machine: the same seed gives the same network. Writes its table into BENCHMARKS.md between the
 * discovery-sim markers, and returns the convergence times for the main table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { defaultTimers, type Timers } from '../src/config/timers.js';
import { runScenario, type GraphStats, type ScenarioResult } from '../src/peerfinder/sim/scenario.js';
import type { BenchResult } from './types.js';

const BENCHMARKS = new URL('../BENCHMARKS.md', import.meta.url);
const START = '<!-- discovery-sim:start -->';
const END = '<!-- discovery-sim:end -->';
/** Give up on convergence after this much simulated time (s). */
const MAX_SECONDS = 3600;

function rippledRules(): Timers {
  const t = defaultTimers();
  t.endpointsOnActivate = 0;
  t.storeTestedEndpoint = 0;
  t.livecacheSpansInterval = 0;
  return t;
}

const pct = (x: number) => `${Math.round(x * 100)} %`;
const diam = (d: number) => (Number.isFinite(d) ? String(d) : 'split');

function row(rules: string, r: ScenarioResult): string {
  const g: GraphStats = r.atStop;
  const when = r.convergedAfterS === undefined ? `not within ${MAX_SECONDS} s (${r.satisfiedNodes} of ${r.nodes})` : `${r.convergedAfterS} s`;
  const ninety = r.ninetyPercentAfterS === undefined ? '-' : `${r.ninetyPercentAfterS} s`;
  const w = r.warmRestart;
  const warm = !w ? '' : `${w.satisfiedAfterS === undefined ? 'not within 3600 s' : `${w.satisfiedAfterS} s`} (${w.degree} peers, ${w.seedLinks} to the seed)`;
  return `| ${r.nodes} | ${rules} | ${when} | ${ninety} | ${g.links} | ${pct(g.nonSeedShare)} | ${g.degreeMin} / ${g.degreeMedian} / ${g.degreeMax} | ${diam(g.diameter)} | ${diam(g.diameterWithoutSeed)} | ${warm} | ${r.wallMs} ms |`;
}

export async function benchDiscovery(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const rows: string[] = [];
  for (const nodes of [12, 30, 100]) {
    const ours = runScenario({ nodes, seed: 1, maxSeconds: MAX_SECONDS });
    const rippled = runScenario({ nodes, seed: 1, maxSeconds: MAX_SECONDS, timers: rippledRules() });
    rows.push(row('ours (default)', ours), row("rippled's", rippled));
    results.push({
      name: `discovery sim, ${nodes} nodes from one seed: all outbound slots filled`,
      value: ours.convergedAfterS ?? Infinity,
      unit: 's simulated',
      baseline: `rippled's rules ${rippled.convergedAfterS === undefined ? `> ${MAX_SECONDS}` : rippled.convergedAfterS} s`,
    });
  }
  const table = [
    START,
    '| nodes | rules | every node has its outbound peers | 90 % of nodes | links | links not touching the seed | degree min / median / max | diameter | diameter without the seed | warm restart of one node | wall time |',
    '|---:|---|---|---|---:|---:|---|---:|---:|---|---:|',
    ...rows,
    END,
  ].join('\n');
  const text = readFileSync(BENCHMARKS, 'utf8');
  const at = text.indexOf(START);
  const end = text.indexOf(END);
  if (at >= 0 && end > at) writeFileSync(BENCHMARKS, text.slice(0, at) + table + text.slice(end + END.length));
  else console.error('BENCHMARKS.md has no discovery-sim markers: table not written');
  console.log(table);
  return results;
}
