/** /crawl is built at most once per `[crawl] snapshot_ms` (issue 15), and afresh when peers change. */
import { describe, expect, it } from 'vitest';
import { CrawlSnapshot } from '../src/overlay/crawl-snapshot.js';
import { parseConfig } from '../src/config/config.js';

/** A snapshot on a manual clock whose after-the-answer rebuilds wait in `queued` until run. */
function manual(maxAgeMs: number, start = 10_000) {
  const clock = { t: start };
  let builds = 0;
  const queued: Array<() => void> = [];
  const snap = new CrawlSnapshot(() => ({ n: ++builds }), maxAgeMs, () => clock.t, (w) => queued.push(w));
  const runQueued = () => queued.splice(0).forEach((w) => w());
  return { clock, snap, queued, runQueued, builds: () => builds };
}

describe('CrawlSnapshot', () => {
  it('serves one build for the interval; an old one is answered once more and rebuilt after that answer', () => {
    const m = manual(1000);
    expect(m.snap.json()).toBe('{"n":1}');
    m.clock.t += 999;
    expect(m.snap.json()).toBe('{"n":1}');
    expect(m.queued).toHaveLength(0);
    m.clock.t += 1;
    // Old: this request is not kept waiting for a build; the build runs right after it.
    expect(m.snap.json()).toBe('{"n":1}');
    expect(m.builds()).toBe(1);
    expect(m.queued).toHaveLength(1);
    expect(m.snap.json()).toBe('{"n":1}');
    expect(m.queued).toHaveLength(1); // one rebuild queued, not one per request
    m.runQueued();
    expect(m.builds()).toBe(2);
    expect(m.snap.json()).toBe('{"n":2}');
  });

  it('a request after two intervals of silence builds before answering (the body is never older than that)', () => {
    const m = manual(1000);
    m.snap.json();
    m.clock.t += 2000;
    expect(m.snap.json()).toBe('{"n":2}');
    expect(m.queued).toHaveLength(0);
  });

  it('serves bytes: the UTF-8 of the JSON, the same buffer until rebuilt', () => {
    const m = manual(1000);
    const a = m.snap.bytes();
    expect(a.toString('utf8')).toBe('{"n":1}');
    expect(m.snap.bytes()).toBe(a);
  });

  it('builds afresh after invalidate (a peer came or left), on the request itself', () => {
    const m = manual(1000);
    expect(m.snap.json()).toBe('{"n":1}');
    m.snap.invalidate();
    expect(m.snap.json()).toBe('{"n":2}');
    expect(m.queued).toHaveLength(0);
  });

  it('a queued rebuild that finds a fresh body (rebuilt after invalidate) does not build again', () => {
    const m = manual(1000);
    m.snap.json();
    m.clock.t += 1500;
    m.snap.json(); // queues a rebuild
    m.snap.invalidate();
    expect(m.snap.json()).toBe('{"n":2}');
    m.runQueued();
    expect(m.builds()).toBe(2);
  });

  it('with 0 builds on every request', () => {
    const m = manual(0);
    m.snap.json();
    m.snap.json();
    expect(m.builds()).toBe(2);
    expect(m.queued).toHaveLength(0);
  });

  it('a clock that went back does not keep an old body', () => {
    const m = manual(1000, 5000);
    m.snap.json();
    m.clock.t = 100;
    expect(m.snap.json()).toBe('{"n":2}');
  });
});

describe('[crawl] snapshot_ms', () => {
  const cfg = (extra: string) => parseConfig(`[port_peer]\nip = 127.0.115.9\nport = 51235\nprotocol = peer\n\n${extra}`, 'x.cfg');
  it('defaults to 1000 and is read as given', () => {
    expect(cfg('').crawl.snapshotMs).toBe(1000);
    expect(cfg('[crawl]\nsnapshot_ms = 0\n').crawl.snapshotMs).toBe(0);
    expect(cfg('[crawl]\nsnapshot_ms = 250\n').crawl.snapshotMs).toBe(250);
  });
  it('refuses a value above 60000, naming the stanza', () => {
    expect(() => cfg('[crawl]\nsnapshot_ms = 60001\n')).toThrow(/crawl/);
  });
});
