/**
 * network.html: a map of the crawl that opens with no network. Cytoscape.js (a maintained graph library,
 * MIT) is read from node_modules when the file is written and inlined, with the crawl's data, into one
 * file. Nodes are coloured by version; unreachable ones are hollow with a dashed border; hovering shows a
 * node's details; the search box finds keys and addresses; the side panel sums the network up.
 *
 * `network.html#q=TEXT` opens with TEXT searched. The page marks what it rendered for tests and scripts: #node-count, #edge-count, the `li` items of
 * #legend (data-version, data-count), and `data-rendered` on <body> once Cytoscape has laid the graph out.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { NetworkDocument } from './summary.js';

let cytoscapeSource: string | undefined;

/** The library's minified browser build, from the installed package. */
export function cytoscapeBundle(): string {
  if (cytoscapeSource === undefined) {
    const path = createRequire(import.meta.url).resolve('cytoscape/dist/cytoscape.min.js');
    cytoscapeSource = readFileSync(path, 'utf8');
  }
  return cytoscapeSource;
}

/** Text safe inside a <script> element. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON that cannot end the <script> element it sits in. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `
*{box-sizing:border-box}html,body{margin:0;height:100%;font:13px/1.4 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
#app{display:flex;height:100%}#cy{flex:1;min-width:0;background:#fff}
#panel{width:300px;padding:12px 14px;overflow:auto;border-left:1px solid #d8dce1}
h1{font-size:16px;margin:0 0 6px}h2{font-size:13px;margin:14px 0 4px;text-transform:uppercase;color:#57606a;letter-spacing:.04em}
.stat{display:flex;justify-content:space-between}.stat b{font-variant-numeric:tabular-nums}
#legend{list-style:none;padding:0;margin:0}#legend li{display:flex;align-items:center;gap:6px;margin:2px 0;cursor:pointer}
.sw{width:12px;height:12px;border-radius:50%;flex:none;border:1px solid #0003}
.sw.hollow{background:#fff!important;border:2px dashed #888}
#search{width:100%;padding:5px 7px;border:1px solid #bbb;border-radius:4px}#matches{color:#57606a;margin-top:3px;min-height:1.4em}
#tip{position:fixed;pointer-events:none;background:#1b1f24;color:#fff;padding:6px 8px;border-radius:4px;font:12px/1.35 ui-monospace,monospace;white-space:pre;display:none;z-index:9;max-width:520px}
.muted{color:#57606a;font-size:12px}
`;

/** Runs in the page. Plain ES2017, no imports: everything it needs is in this file. */
const PAGE_SCRIPT = String.raw`
(function () {
  var doc = JSON.parse(document.getElementById('network-data').textContent);
  var palette = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#17becf','#bcbd22','#393b79','#637939','#843c39'];
  var colour = {};
  doc.summary.versions.forEach(function (v, i) { colour[v.version] = v.version === 'unknown' ? '#9aa0a6' : palette[i % palette.length]; });
  var $ = function (id) { return document.getElementById(id); };
  $('node-count').textContent = doc.summary.nodes;
  $('edge-count').textContent = doc.summary.edges;
  $('reachable-count').textContent = doc.summary.reachable;
  $('unreachable-count').textContent = doc.summary.unreachable;
  $('hidden-count').textContent = doc.summary.withoutAddress;
  $('crawled').textContent = doc.finished_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') + (doc.complete ? '' : ' (partial)');
  $('seeds').textContent = doc.seeds.join(', ');
  var legend = $('legend');
  doc.summary.versions.forEach(function (v) {
    var li = document.createElement('li');
    li.dataset.version = v.version; li.dataset.count = v.nodes;
    li.innerHTML = '<span class="sw"></span><span class="v"></span><span class="muted"></span>';
    li.children[0].style.background = colour[v.version];
    li.children[1].textContent = v.version;
    li.children[2].textContent = '(' + v.nodes + ')';
    li.onclick = function () { select(cy.nodes().filter(function (n) { return n.data('version') === v.version; })); };
    legend.appendChild(li);
  });
  var li = document.createElement('li');
  li.innerHTML = '<span class="sw hollow"></span><span>unreachable</span>';
  li.className = 'unreachable-key';
  legend.appendChild(li);

  var short = function (n) { return n.key ? n.key.slice(0, 8) + '…' : n.addresses[0] || n.id; };
  var elements = doc.nodes.map(function (n) {
    var v = n.version || 'unknown';
    return { data: { id: n.id, label: short(n), version: v, colour: colour[v], node: n }, classes: n.reachable ? 'up' : 'down' };
  }).concat(doc.edges.map(function (e, i) {
    return { data: { id: 'e' + i, source: e.source, target: e.target, edge: e }, classes: e.direction === 'known' ? 'directed' : 'undirected' };
  }));
  var big = doc.nodes.length > 400;
  var cy = cytoscape({
    container: $('cy'), elements: elements, wheelSensitivity: 0.3,
    style: [
      { selector: 'node', style: { 'background-color': 'data(colour)', label: 'data(label)', 'font-size': 9, color: '#333', width: 22, height: 22, 'border-width': 1, 'border-color': '#0004', 'text-valign': 'bottom', 'text-margin-y': 3 } },
      { selector: 'node.down', style: { 'background-color': '#fff', 'border-width': 2, 'border-style': 'dashed', 'border-color': 'data(colour)', width: 16, height: 16 } },
      { selector: 'edge', style: { width: 1.2, 'line-color': '#aab2bd', 'curve-style': 'bezier' } },
      { selector: 'edge.directed', style: { 'target-arrow-shape': 'triangle', 'target-arrow-color': '#aab2bd', 'arrow-scale': 0.7 } },
      { selector: '.hit', style: { 'border-width': 4, 'border-color': '#ffb000', 'border-style': 'solid' } },
      { selector: '.faded', style: { opacity: 0.25 } }
    ],
    layout: big ? { name: 'concentric', animate: false, concentric: function (n) { return n.degree(); }, levelWidth: function () { return 4; } }
                : { name: 'cose', animate: false, randomize: true, nodeRepulsion: function () { return 9000; }, idealEdgeLength: function () { return 70; } }
  });

  var tip = $('tip');
  var details = function (n) {
    var rows = [['key', n.key || '(unknown)'], ['addresses', n.addresses.join(', ') || '(none listed)'], ['version', n.version || 'unknown'],
      ['reachable', n.reachable ? 'yes' : 'no (' + n.crawl + (n.error ? ': ' + n.error : '') + ')'], ['server state', n.serverState],
      ['uptime', n.uptime === undefined ? undefined : n.uptime + ' s'], ['ledgers', n.completeLedgers],
      ['found', n.found.how === 'seed' ? 'seed' : 'peer of ' + (n.found.via || '?').slice(0, 12) + '…, depth ' + n.found.depth]];
    return rows.filter(function (r) { return r[1] !== undefined; }).map(function (r) { return (r[0] + ':').padEnd(14) + r[1]; }).join('\n');
  };
  cy.on('mouseover', 'node', function (ev) { tip.textContent = details(ev.target.data('node')); tip.style.display = 'block'; });
  cy.on('mouseover', 'edge', function (ev) { var e = ev.target.data('edge'); tip.textContent = (e.direction === 'known' ? 'dialled by ' + e.source : 'direction ' + e.direction) + '\nreported by ' + e.reportedBy.length + ' end(s)'; tip.style.display = 'block'; });
  cy.on('mouseout', function () { tip.style.display = 'none'; });
  cy.on('mousemove', function (ev) { var p = ev.originalEvent; if (p) { tip.style.left = (p.clientX + 14) + 'px'; tip.style.top = (p.clientY + 10) + 'px'; } });

  function select(hits) {
    cy.elements().removeClass('hit faded');
    if (hits.length === 0 || hits.length === cy.nodes().length) return;
    cy.elements().not(hits).not(hits.connectedEdges()).addClass('faded');
    hits.addClass('hit');
    cy.animate({ fit: { eles: hits, padding: 80 } }, { duration: 300 });
  }
  $('search').addEventListener('input', function () {
    var q = this.value.trim().toLowerCase();
    if (!q) { select(cy.collection()); $('matches').textContent = ''; return; }
    var hits = cy.nodes().filter(function (el) {
      var n = el.data('node');
      return (n.key || '').toLowerCase().indexOf(q) >= 0 || n.addresses.some(function (a) { return a.toLowerCase().indexOf(q) >= 0; });
    });
    $('matches').textContent = hits.length + ' match' + (hits.length === 1 ? '' : 'es');
    select(hits);
  });
  // network.html#q=TEXT opens with that search done (a link to one node).
  var m = /^#q=(.+)$/.exec(location.hash);
  if (m) { $('search').value = decodeURIComponent(m[1]); $('search').dispatchEvent(new Event('input')); }
  document.body.dataset.rendered = String(cy.nodes().length);
  window.networkMap = cy;
})();
`;

export function toHtml(doc: NetworkDocument, library = cytoscapeBundle()): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>XRP Ledger network map: ${doc.summary.nodes} nodes</title>
<style>${STYLE}</style>
</head><body>
<div id="app"><div id="cy"></div>
<aside id="panel">
<h1>XRP Ledger network</h1>
<div class="muted">crawled <span id="crawled"></span><br>from <span id="seeds"></span></div>
<h2>Summary</h2>
<div class="stat"><span>nodes</span><b id="node-count"></b></div>
<div class="stat"><span>links</span><b id="edge-count"></b></div>
<div class="stat"><span>reachable (answered /crawl)</span><b id="reachable-count"></b></div>
<div class="stat"><span>unreachable</span><b id="unreachable-count"></b></div>
<div class="stat"><span>&nbsp;&nbsp;of which without address</span><b id="hidden-count"></b></div>
<h2>Search</h2>
<input id="search" type="search" placeholder="key (n9…) or IP" autocomplete="off">
<div id="matches"></div>
<h2>Versions</h2>
<ul id="legend"></ul>
<p class="muted">Arrows point from the node that dialled to the one that accepted. Hover a node for its details.</p>
</aside></div>
<div id="tip"></div>
<script id="network-data" type="application/json">${jsonForScript(doc)}</script>
<script>${scriptSafe(library)}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
