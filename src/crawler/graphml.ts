/** network.graphml: the crawl as GraphML, for Gephi, yEd and other graph tools. */
import type { NetworkDocument } from './summary.js';

const NODE_KEYS: [id: string, type: string, get: (n: NetworkDocument['nodes'][number]) => unknown][] = [
  ['key', 'string', (n) => n.key],
  ['addresses', 'string', (n) => n.addresses.join(' ')],
  ['version', 'string', (n) => n.version],
  ['uptime', 'long', (n) => n.uptime],
  ['complete_ledgers', 'string', (n) => n.completeLedgers],
  ['server_state', 'string', (n) => n.serverState],
  ['reachable', 'boolean', (n) => n.reachable],
  ['crawl', 'string', (n) => n.crawl],
  ['found', 'string', (n) => n.found.how],
  ['depth', 'int', (n) => n.found.depth],
];

export function xmlEscape(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function toGraphml(doc: NetworkDocument): string {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
  ];
  for (const [id, type] of NODE_KEYS) out.push(`  <key id="${id}" for="node" attr.name="${id}" attr.type="${type}"/>`);
  out.push('  <key id="direction" for="edge" attr.name="direction" attr.type="string"/>');
  out.push('  <key id="reported_by" for="edge" attr.name="reported_by" attr.type="string"/>');
  // Edges whose dialler is known are directed (source dialled target); the others say so in `direction`.
  out.push('  <graph id="xrpl" edgedefault="directed">');
  for (const n of doc.nodes) {
    out.push(`    <node id="${xmlEscape(n.id)}">`);
    for (const [id, , get] of NODE_KEYS) {
      const v = get(n);
      if (v !== undefined && v !== '') out.push(`      <data key="${id}">${xmlEscape(String(v))}</data>`);
    }
    out.push('    </node>');
  }
  doc.edges.forEach((e, i) => {
    const directed = e.direction === 'known' ? '' : ' directed="false"';
    out.push(`    <edge id="e${i}" source="${xmlEscape(e.source)}" target="${xmlEscape(e.target)}"${directed}>`);
    out.push(`      <data key="direction">${e.direction}</data>`);
    out.push(`      <data key="reported_by">${xmlEscape(e.reportedBy.join(' '))}</data>`);
    out.push('    </edge>');
  });
  out.push('  </graph>', '</graphml>', '');
  return out.join('\n');
}
