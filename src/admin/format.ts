/** Readable text for command results: tables and aligned key/value lines for a terminal. */

type Row = Record<string, unknown>;

/**
 * Columns padded to their widest cell; the last column is not padded. `paint` may wrap a body
 * cell (already padded) in colour codes, which do not count toward the width.
 */
export function table(headers: string[], rows: string[][], paint?: (col: number, cell: string, padded: string) => string): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], body: boolean) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]!);
        return body && paint ? paint(i, c, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, false), ...rows.map((r) => line(r, true))].join('\n');
}

/** 93784 → "1d 2h", 3725 → "1h 2m", 125 → "2m 5s", 42 → "42s". */
export function duration(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** 1536 → "1.5 kB" (powers of 1000). */
export function bytes(value: unknown): string {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

function text(v: unknown): string {
  return v === undefined || v === null || v === '' ? '-' : String(v);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How a table is shown: the terminal's width (undefined: no limit) and whether to colour it. */
export interface Display {
  width?: number;
  colour: boolean;
}

/** Output that is not a terminal: every column, no colour. */
export const PLAIN: Display = { colour: false };

const ANSI = { red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m', dim: '\x1b[2m', reset: '\x1b[0m' } as const;

interface Column {
  header: string;
  cell(p: Row): string;
  /** Columns with a higher number go first when the terminal is narrow; undefined: always kept. */
  dropOrder?: number;
  colour?(value: string): keyof typeof ANSI | undefined;
}

/** n9MLTbJxTCPX…Dz7h: enough of a node key to tell peers apart. */
export function shortKey(key: string): string {
  return key.length > 20 ? `${key.slice(0, 12)}…${key.slice(-4)}` : key;
}

const PEER_COLUMNS: Column[] = [
  { header: 'PUBLIC KEY', cell: (p) => text(p.public_key) },
  { header: 'ADDRESS', cell: (p) => text(p.address) },
  { header: 'DIR', cell: (p) => (p.inbound ? 'in' : 'out') },
  { header: 'NAME', cell: (p) => text(p.name), dropOrder: 5 },
  { header: 'VERSION', cell: (p) => text(p.version), dropOrder: 7 },
  { header: 'PROTOCOL', cell: (p) => text(p.protocol), dropOrder: 11 },
  { header: 'UPTIME', cell: (p) => duration(p.uptime), dropOrder: 4 },
  { header: 'LATENCY', cell: (p) => (typeof p.latency === 'number' ? `${p.latency} ms` : '-'), dropOrder: 3 },
  { header: 'LEDGERS', cell: (p) => text(p.complete_ledgers), dropOrder: 9 },
  {
    header: 'TRACK',
    cell: (p) => text(p.track ?? 'converged'),
    dropOrder: 2,
    colour: (v) => (v === 'diverged' ? 'red' : v === 'unknown' ? 'yellow' : 'green'),
  },
  { header: 'STATUS', cell: (p) => text(p.status), dropOrder: 10 },
  { header: 'LOAD', cell: (p) => text(p.load), dropOrder: 6 },
  { header: 'RECV', cell: (p) => bytes(((p.metrics ?? {}) as Row).total_bytes_recv), dropOrder: 8 },
  { header: 'SENT', cell: (p) => bytes(((p.metrics ?? {}) as Row).total_bytes_sent), dropOrder: 8 },
];

/** Width of a table made by `table()` (two spaces between columns). */
function tableWidth(headers: string[], rows: string[][]): number {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return widths.reduce((a, b) => a + b, 0) + 2 * (headers.length - 1);
}

/**
 * The peers table. On a narrow terminal the node key is shortened first, then the least useful
 * columns are left out (a note says how many, and that --wide shows them all).
 */
export function formatPeers(result: Row, _params: Record<string, unknown> = {}, display: Display = PLAIN): string {
  const peers = (Array.isArray(result.peers) ? result.peers : []) as Row[];
  const out: string[] = [];
  if (peers.length === 0) {
    out.push('no peers connected');
  } else {
    const withNames = peers.some((p) => p.name);
    let columns = PEER_COLUMNS.filter((c) => c.header !== 'NAME' || withNames);
    const rowsOf = (cols: Column[]) => peers.map((p) => cols.map((c) => c.cell(p)));
    const fits = (cols: Column[]) => display.width === undefined || tableWidth(cols.map((c) => c.header), rowsOf(cols)) <= display.width;
    if (!fits(columns)) {
      const keyCol = columns[0]!;
      const short: Column = { ...keyCol, cell: (p) => shortKey(text(p.public_key)) };
      columns = [short, ...columns.slice(1)];
    }
    let hidden = 0;
    while (!fits(columns)) {
      const droppable = columns.filter((c) => c.dropOrder !== undefined);
      if (droppable.length === 0) break;
      const worst = Math.max(...droppable.map((c) => c.dropOrder!));
      const before = columns.length;
      columns = columns.filter((c) => c.dropOrder !== worst);
      hidden += before - columns.length;
    }
    const rows = rowsOf(columns);
    const paint = display.colour
      ? (col: number, cell: string, padded: string) => {
          const c = columns[col]!.colour?.(cell);
          return c ? `${ANSI[c]}${padded}${ANSI.reset}` : padded;
        }
      : undefined;
    out.push(table(columns.map((c) => c.header), rows, paint));
    const inbound = peers.filter((p) => p.inbound).length;
    out.push('', `${plural(peers.length, 'peer')}: ${inbound} inbound, ${peers.length - inbound} outbound`);
    if (hidden > 0) out.push(`(${plural(hidden, 'column')} left out to fit the terminal; --wide shows all)`);
  }
  const cluster = (result.cluster ?? {}) as Record<string, Row>;
  const members = Object.entries(cluster);
  if (members.length > 0) {
    out.push('', 'cluster:');
    for (const [key, c] of members) out.push(`  ${key}${c.tag ? `  ${String(c.tag)}` : ''}`);
  }
  return out.join('\n');
}

/** Aligned `key  value` lines. */
function keyValues(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export function formatServerInfo(result: Row): string {
  const info = (result.info ?? {}) as Row;
  const ports = (Array.isArray(info.ports) ? info.ports : []) as Row[];
  const ledger = info.newest_peer_ledger as Row | undefined;
  const pairs: [string, string][] = [
    ['pubkey_node', text(info.pubkey_node)],
    ['build_version', text(info.build_version)],
    ['server_state', text(info.server_state)],
    ['uptime', `${duration(info.uptime)} (${text(info.uptime)} s)`],
    ['peers', text(info.peers)],
  ];
  if (info.network_id !== undefined) pairs.push(['network_id', text(info.network_id)]);
  if (typeof info.network_ledger === 'string') pairs.push(['network_ledger', info.network_ledger]);
  if (ledger !== undefined && typeof ledger === 'object') pairs.push(['newest_peer_ledger', `${text(ledger.seq)} ${text(ledger.hash)}`]);
  if (info.server_domain !== undefined) pairs.push(['server_domain', text(info.server_domain)]);
  pairs.push(
    ['peer_disconnects', text(info.peer_disconnects)],
    ['peer_disconnects_resources', text(info.peer_disconnects_resources)],
    ['ports', ports.map((p) => `${text(p.port)} (${(Array.isArray(p.protocol) ? p.protocol : []).join(', ')})`).join(', ') || '-'],
    ['hostid', text(info.hostid)],
    ['time', text(info.time)],
  );
  return keyValues(pairs);
}

export function formatCrawl(result: Row): string {
  const overlay = result.overlay as { active?: Row[] } | undefined;
  const out: string[] = [];
  if (!overlay) {
    out.push('the crawl answer has no overlay section ([crawl] overlay = 0)');
  } else {
    const active = overlay.active ?? [];
    if (active.length === 0) out.push('no peers listed');
    else {
      const rows = active.map((p) => [
        text(p.public_key),
        text(p.type),
        p.ip === undefined ? '(private)' : p.port === undefined ? String(p.ip) : `${String(p.ip)}:${String(p.port)}`,
        text(p.version),
        duration(p.uptime),
        text(p.complete_ledgers),
      ]);
      out.push(table(['PUBLIC KEY (base64)', 'TYPE', 'ADDRESS', 'VERSION', 'UPTIME', 'LEDGERS'], rows));
      out.push('', `${plural(active.length, 'peer')} listed`);
    }
  }
  const counts = result.counts as Row | undefined;
  if (counts) out.push(`counts: ${JSON.stringify(counts)}`);
  return out.join('\n');
}

function reservationText(r: Row | undefined): string {
  if (!r) return '';
  return r.description ? `${String(r.node)} "${String(r.description)}"` : String(r.node);
}

export function formatReservations(result: Row): string {
  const list = (Array.isArray(result.reservations) ? result.reservations : []) as Row[];
  if (list.length === 0) return 'no peer reservations';
  return table(
    ['NODE', 'DESCRIPTION'],
    list.map((r) => [text(r.node), r.description === undefined ? '' : String(r.description)]),
  ) + `\n\n${plural(list.length, 'reservation')}`;
}

export function formatReservationAdd(result: Row, key: string, description?: string): string {
  const added = `reserved a peer slot for ${key}${description ? ` "${description}"` : ''}`;
  const previous = result.previous as Row | undefined;
  return previous ? `${added}\n(replaced ${reservationText(previous)})` : added;
}

export function formatReservationDel(result: Row, key: string): string {
  const previous = result.previous as Row | undefined;
  return previous ? `removed the reservation ${reservationText(previous)}` : `there was no reservation for ${key}`;
}

export function formatLogLevel(result: Row, severity?: string): string {
  if (severity !== undefined) return `log level set to ${severity}`;
  const levels = (result.levels ?? {}) as Row;
  return keyValues(Object.entries(levels).map(([k, v]) => [k, text(v)]));
}
