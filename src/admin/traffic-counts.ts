/**
 * The admin `get_counts` answer and the /metrics families for traffic by rippled's categories
 * (src/traffic). rippled 3.1.2's get_counts is a flat object of counters (64-bit ones as decimal
 * strings) with `uptime` as text; ours has the same shape, with what an overlay node counts: for
 * each category that carried traffic, `<category>_Bytes_In`, `_Bytes_Out`, `_Messages_In` and
 * `_Messages_Out` (the names rippled gives these counters in its insight metrics).
 */
import type { OverlayView } from '../overlay/view.js';
import { TRAFFIC_CATEGORIES, type TrafficCount } from '../traffic/traffic-count.js';
import { METRIC_PREFIX, type MetricsRegistry } from './metrics.js';

export function getCounts(overlay: OverlayView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [category, s] of overlay.traffic.active()) {
    out[`${category}_Bytes_In`] = String(s.bytesIn);
    out[`${category}_Bytes_Out`] = String(s.bytesOut);
    out[`${category}_Messages_In`] = String(s.messagesIn);
    out[`${category}_Messages_Out`] = String(s.messagesOut);
  }
  out.uptime = uptimeText(overlay.uptimeSeconds());
  return out;
}

/** rippled's uptime text: "1 minute, 19 seconds" (units that are zero left out). */
export function uptimeText(seconds: number): string {
  const units: [string, number][] = [['day', 86_400], ['hour', 3600], ['minute', 60], ['second', 1]];
  const parts: string[] = [];
  let left = Math.max(0, Math.floor(seconds));
  for (const [name, size] of units) {
    const n = Math.floor(left / size);
    left -= n * size;
    if (n) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  }
  return parts.length ? parts.join(', ') : '0 seconds';
}

export function registerTrafficMetrics(r: MetricsRegistry, traffic: TrafficCount): void {
  const samples = (pick: 'bytes' | 'messages') =>
    TRAFFIC_CATEGORIES.flatMap((category) => {
      const s = traffic.get(category);
      return [
        { labels: { category, direction: 'in' }, value: pick === 'bytes' ? s.bytesIn : s.messagesIn },
        { labels: { category, direction: 'out' }, value: pick === 'bytes' ? s.bytesOut : s.messagesOut },
      ];
    });
  r.register({
    name: `${METRIC_PREFIX}traffic_bytes_total`,
    help: "Bytes by rippled's traffic category (TrafficCount) and direction; total is every message.",
    type: 'counter',
    collect: () => samples('bytes'),
  });
  r.register({
    name: `${METRIC_PREFIX}traffic_messages_total`,
    help: "Messages by rippled's traffic category (TrafficCount) and direction.",
    type: 'counter',
    collect: () => samples('messages'),
  });
}
