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
import type { BenchResult } from './types.js';

const HOST = '127.0.0.200';
const ROUNDS = 60;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function bareTls(port: number): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const s = tls.connect({ host: HOST, port, rejectUnauthorized: false }, () => {
      s.destroy();
      resolve();
    });
    s.on('error', reject);
  });
  return performance.now() - t0;
}

export async function benchHandshake(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'xrpl-overlay-bench-'));
  const config = parseConfig(`[port_peer]\nip = ${HOST}\nport = 51235\nprotocol = peer\n`, 'bench.cfg');
  const daemon = await startDaemon({ config, dataDir: dir, log: silentLogger() });
  const material = makeSelfSignedCertificate();
  try {
    const full: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await bareTls(51235));
      const identity = NodeIdentity.generate();
      const t0 = performance.now();
      const est = await dialPeer({
        host: HOST,
        port: 51235,
        local: { identity, tls: material, userAgent: 'bench', crawlPublic: true, features: NO_FEATURES, instanceCookie: 1n },
      });
      full.push(performance.now() - t0);
      est.socket.destroy();
    }
    const f = median(full);
    const b = median(bare);
    return [
      { name: 'full peer handshake (median of 60)', value: Number(f.toFixed(2)), unit: 'ms', baseline: `bare TLS handshake ${b.toFixed(2)} ms`, ratio: Number((f / b).toFixed(2)) },
    ];
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
