/**
 * Data flows one way, and modules stay small: every module of src/ may import only from its own unit (folder or top-level file) or from a
 * unit of a lower layer. The order below is the project's layering, as data; a new folder must be placed in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Lowest first. Units on the same line are siblings: neither may import the other. */
const LAYERS: readonly (readonly string[])[] = [
  ['logger.ts', 'version.ts'],
  ['address'],
  ['config'],
  ['identity'],
  ['protocol'],
  ['ledger'],
  ['resource'],
  ['peer'],
  ['connect'],
  ['validators', 'cluster', 'traffic'],
  ['monitor'],
  ['peerfinder', 'reduce-relay'],
  ['relay'],
  ['overlay'],
  ['admin', 'crawler'],
  ['data-dir.ts', 'status-log.ts'],
  ['daemon.ts'],
  ['node.ts'],
  ['index.ts', 'cli.ts'],
];

const SRC = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The unit a file belongs to: its top folder under src/, or its own name for a top-level file. */
function unitOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

function layerOf(unit: string): number {
  return LAYERS.findIndex((units) => units.includes(unit));
}

/** Relative specifiers of static imports, re-exports and dynamic imports. */
function relativeImports(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[2]!);
  return out;
}

describe('layers', () => {
  const files = sourceFiles(SRC);

  it('places every unit of src/ in the layer order', () => {
    const unplaced = [...new Set(files.map(unitOf))].filter((u) => layerOf(u) < 0);
    expect(unplaced).toEqual([]);
  });

  it('has no import from a higher layer or a sibling unit', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = unitOf(file);
      for (const spec of relativeImports(fs.readFileSync(file, 'utf8'))) {
        const target = path.resolve(path.dirname(file), spec);
        const to = unitOf(target);
        if (to === from) continue;
        if (layerOf(to) >= layerOf(from)) violations.push(`${path.relative(SRC, file)} imports ${spec} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no file over 500 lines (one job per module)', () => {
    const long = files.flatMap((f) => {
      const lines = fs.readFileSync(f, 'utf8').split('\n').length;
      return lines > 500 ? [`${path.relative(SRC, f)}: ${lines}`] : [];
    });
    expect(long).toEqual([]);
  });

  it('catches an upward import (the check itself works)', () => {
    expect(relativeImports("import { Overlay } from '../overlay/overlay.js';")).toEqual(['../overlay/overlay.js']);
    expect(relativeImports("const m = await import('./x.js');")).toEqual(['./x.js']);
    expect(layerOf('overlay')).toBeGreaterThan(layerOf('peer'));
  });
});
