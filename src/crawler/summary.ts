/** The crawl's result as data (network.json) and as the text summary the CLI prints. */
import type { CrawlResult } from './bfs.js';
import type { NetworkEdge, NetworkNode } from './graph.js';

export interface NetworkSummary {
  nodes: number;
  /** Nodes whose /crawl answered. */
  reachable: number;
  unreachable: number;
  /** Unreachable nodes listed without any address (private peers). */
  withoutAddress: number;
  edges: number;
  /** Node count per version, most common first. */
  versions: { version: string; nodes: number }[];
}

export interface NetworkDocument {
  format: 'xrpl-overlay-network/1';
  started_at: string;
  finished_at: string;
  complete: boolean;
  seeds: string[];
  options: CrawlResult['options'];
  progress: CrawlResult['progress'];
  /** Neighbours not kept because max nodes was reached. */
  dropped: number;
  summary: NetworkSummary;
  nodes: NetworkNode[];
  edges: NetworkEdge[];
}

export const UNKNOWN_VERSION = 'unknown';

export function networkDocument(result: CrawlResult): NetworkDocument {
  const { nodes, edges } = result.graph.snapshot();
  return {
    format: 'xrpl-overlay-network/1',
    started_at: result.startedAt.toISOString(),
    finished_at: result.finishedAt.toISOString(),
    complete: result.complete,
    seeds: result.seeds,
    options: result.options,
    progress: result.progress,
    dropped: result.graph.dropped,
    summary: summarize(nodes, edges),
    nodes,
    edges,
  };
}

export function summarize(nodes: NetworkNode[], edges: NetworkEdge[]): NetworkSummary {
  const versions = new Map<string, number>();
  for (const n of nodes) versions.set(n.version ?? UNKNOWN_VERSION, (versions.get(n.version ?? UNKNOWN_VERSION) ?? 0) + 1);
  const reachable = nodes.filter((n) => n.reachable).length;
  return {
    nodes: nodes.length,
    reachable,
    unreachable: nodes.length - reachable,
    withoutAddress: nodes.filter((n) => !n.reachable && n.addresses.length === 0).length,
    edges: edges.length,
    versions: [...versions]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([version, count]) => ({ version, nodes: count })),
  };
}

export function summaryText(doc: NetworkDocument): string {
  const s = doc.summary;
  const secs = ((Date.parse(doc.finished_at) - Date.parse(doc.started_at)) / 1000).toFixed(1);
  const lines = [
    `${s.nodes} nodes, ${s.edges} links${doc.complete ? '' : ' (stopped early: partial map)'}`,
    `  reachable    ${s.reachable} (answered /crawl)`,
    `  unreachable  ${s.unreachable} (${s.withoutAddress} listed without address)`,
    `  asked ${doc.progress.queried} hosts: ${doc.progress.answered} answered, ${doc.progress.failed} failed${failureReasons(doc)}, in ${secs} s`,
    'versions:',
    ...s.versions.map((v) => `  ${String(v.nodes).padStart(5)}  ${v.version}`),
  ];
  if (doc.dropped > 0) lines.push(`${doc.dropped} more nodes not kept (max nodes ${doc.options.maxNodes})`);
  return lines.join('\n');
}

/** ` (2 timeout, 1 refused)`: why hosts failed, most common first. */
function failureReasons(doc: NetworkDocument): string {
  const reasons = new Map<string, number>();
  for (const n of doc.nodes) {
    if (n.crawl !== 'failed') continue;
    const why = (n.error ?? 'unknown').split(':')[0]!;
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  if (reasons.size === 0) return '';
  return ` (${[...reasons].sort((a, b) => b[1] - a[1]).map(([why, count]) => `${count} ${why}`).join(', ')})`;
}
