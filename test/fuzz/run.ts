/**
 * `npm run fuzz [-- --minutes N] [-- --seed S]`: runs every target in turn, sharing the time, and
 * prints per target the cases run and any failure with its shrunk input. Exits 1 on a failure.
 */
import { fuzzTarget, TARGETS } from './targets.js';

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

const minutes = arg('minutes') ?? 1;
const seed = arg('seed');
const perTargetMs = (minutes * 60_000) / TARGETS.length;
let failed = 0;
let total = 0;
console.log(`fuzzing ${TARGETS.length} targets for ${minutes} min (${(perTargetMs / 1000).toFixed(0)} s each)${seed !== undefined ? `, seed ${seed}` : ''}`);
for (const target of TARGETS) {
  const r = fuzzTarget(target, { numRuns: Number.MAX_SAFE_INTEGER, timeMs: perTargetMs, ...(seed !== undefined ? { seed } : {}) });
  total += r.cases;
  const heap = `heap ${r.heapGrowthMiB >= 0 ? '+' : ''}${r.heapGrowthMiB.toFixed(1)} MiB`;
  if (r.failure) {
    failed++;
    console.log(`FAIL ${r.name}: ${r.cases} cases, ${heap}\n  ${r.failure.reason}\n  shrunk input: ${r.failure.input}`);
  } else {
    console.log(`ok   ${r.name}: ${r.cases} cases, ${heap}`);
  }
}
console.log(`${total} cases in all, ${failed} target(s) failed`);
process.exit(failed ? 1 : 0);
