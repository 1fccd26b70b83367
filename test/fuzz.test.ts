/**
 * A bounded sample of the fuzz targets (test/fuzz/targets.ts), so that `npm test` catches a
 * regression; `npm run fuzz -- --minutes N` runs millions of cases.
 */
import { describe, expect, it } from 'vitest';
import { fuzzTarget, TARGETS } from './fuzz/targets.js';

describe('fuzz sample', () => {
  for (const target of TARGETS) {
    it(target.name, () => {
      // 150 cases or 1.5 s per target: the whole sample stays within a few seconds.
      const r = fuzzTarget(target, { numRuns: 150, timeMs: 1500 });
      expect(r.failure).toBeUndefined();
      expect(r.cases).toBeGreaterThan(0);
    });
  }
});
