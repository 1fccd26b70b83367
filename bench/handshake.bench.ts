/**
 * Time for one full peer handshake (TCP + TLS + HTTP upgrade with Session-Signature both ways)
 * against a running node on loopback, next to a bare TLS handshake to the same port as the
 * baseline measured in the same run.
 */
import tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/config.js';
import { startDaemon } from '../src/daemon.js';
import { makeSelfSignedCertificate } from '../src/identity/certificate.js';
import { NodeIdentity } from '../src/identity/node-key.js';
import { silentLogger } from '../src/logger.js';
import { dialPeer } from '../src/connect/handshake-io.js';
import { NO_FEATURES } from '../src/protocol/handshake.js';
import type { BenchOptions, BenchResult } from './types.js';

const ROUNDS = 60;
const QUICK_ROUNDS = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function bareTls(host: string, port: number): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const s = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      s.destroy();
      resolve();
    });
    s.on('error', reject);
  });
  return performance.now() - t0;
}

export async function benchHandshake(opts: BenchOptions): Promise<BenchResult[]> {
  // --quick runs in CI tests: an address of the bench test's own range and an ephemeral port.
  const HOST = opts.quick ? '127.0.115.3' : '127.0.0.200';
  const rounds = opts.quick ? QUICK_ROUNDS : ROUNDS;
  const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-bench-'));
  const config = parseConfig(`[port_peer]\nip = ${HOST}\nport = 51235\nprotocol = peer\n`, 'bench.cfg');
  if (opts.quick) config.peerPort = { ...config.peerPort, port: 0 };
  const daemon = await startDaemon({ config, dataDir: dir, log: silentLogger() });
  const port = daemon.overlay.address!.port;
  const material = makeSelfSignedCertificate();
  try {
    const full: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < rounds; i++) {
      bare.push(await bareTls(HOST, port));
      const identity = NodeIdentity.generate();
      const t0 = performance.now();
      const est = await dialPeer({
        host: HOST,
        port,
        local: { identity, tls: material, userAgent: 'bench', crawlPublic: true, features: NO_FEATURES, instanceCookie: 1n },
      });
      full.push(performance.now() - t0);
      est.socket.destroy();
    }
    const f = median(full);
    const b = median(bare);
    return [
      { name: `full peer handshake (median of ${rounds})`, value: Number(f.toFixed(2)), unit: 'ms', baseline: `bare TLS handshake ${b.toFixed(2)} ms`, ratio: Number((f / b).toFixed(2)) },
    ];
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
