/** /crawl is built at most once per `[crawl] snapshot_ms` (issue 15), and afresh when peers change. */
import { describe, expect, it } from 'vitest';
import { CrawlSnapshot } from '../src/overlay/crawl-snapshot.js';
import { parseConfig } from '../src/config/config.js';

describe('CrawlSnapshot', () => {
  it('serves one build for the interval, then builds again', () => {
    let t = 10_000;
    let builds = 0;
    const snap = new CrawlSnapshot(() => ({ n: ++builds }), 1000, () => t);
    expect(snap.json()).toBe('{"n":1}');
    t += 999;
    expect(snap.json()).toBe('{"n":1}');
    t += 1;
    expect(snap.json()).toBe('{"n":2}');
    expect(builds).toBe(2);
  });

  it('builds afresh after invalidate (a peer came or left)', () => {
    let builds = 0;
    const snap = new CrawlSnapshot(() => ({ n: ++builds }), 1000, () => 5);
    expect(snap.json()).toBe('{"n":1}');
    snap.invalidate();
    expect(snap.json()).toBe('{"n":2}');
  });

  it('with 0 builds on every request', () => {
    let builds = 0;
    const snap = new CrawlSnapshot(() => ({ n: ++builds }), 0, () => 5);
    snap.json();
    snap.json();
    expect(builds).toBe(2);
  });

  it('a clock that went back does not keep an old body', () => {
    let t = 5000;
    let builds = 0;
    const snap = new CrawlSnapshot(() => ({ n: ++builds }), 1000, () => t);
    snap.json();
    t = 100;
    expect(snap.json()).toBe('{"n":2}');
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
