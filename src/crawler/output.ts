/** Writes network.json, network.graphml and network.html into a folder, each atomically (temp file, rename). */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CrawlResult } from './bfs.js';
import { toGraphml } from './graphml.js';
import { toHtml } from './html.js';
import { type NetworkDocument, networkDocument } from './summary.js';

export const NETWORK_FILES = { json: 'network.json', graphml: 'network.graphml', html: 'network.html' } as const;

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeNetworkFiles(dir: string, result: CrawlResult): NetworkDocument {
  const doc = networkDocument(result);
  mkdirSync(dir, { recursive: true });
  writeAtomically(join(dir, NETWORK_FILES.json), JSON.stringify(doc, null, 1) + '\n');
  writeAtomically(join(dir, NETWORK_FILES.graphml), toGraphml(doc));
  writeAtomically(join(dir, NETWORK_FILES.html), toHtml(doc));
  return doc;
}
