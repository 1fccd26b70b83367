/**
 * Hosts for crawler tests: a stand-in that answers GET /crawl over HTTPS with a fixed body, the way rippled
 * 3.1.2 sends it (chunked, `Server: rippled-3.1.2`), and a blackhole that accepts TCP and never says a word.
 */
import { createECDH } from 'node:crypto';
import https from 'node:https';
import net from 'node:net';
import { encodeNodePublic } from 'ripple-address-codec';
import { makeSelfSignedCertificate } from '../../src/identity/certificate.js';

export interface Host {
  ip: string;
  port: number;
  close(): Promise<void>;
}

export function randomNodeKey(): { n9: string; base64: string } {
  const ecdh = createECDH('secp256k1');
  ecdh.generateKeys();
  const key = ecdh.getPublicKey(null, 'compressed');
  return { n9: encodeNodePublic(key), base64: key.toString('base64') };
}

export async function startCrawlStandIn(ip: string, body: () => unknown): Promise<Host & { requests: number }> {
  const tls = makeSelfSignedCertificate();
  const host = { ip, port: 0, requests: 0, close: async () => {} };
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    host.requests++;
    if (req.url !== '/crawl') {
      res.writeHead(403).end();
      return;
    }
    res.writeHead(200, { Server: 'rippled-3.1.2', 'Content-Type': 'application/json', Connection: 'close' });
    // No Content-Length: chunked, as rippled sends it.
    const text = JSON.stringify(body());
    res.write(text.slice(0, 100));
    res.end(text.slice(100));
  });
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  host.port = (server.address() as net.AddressInfo).port;
  host.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return host;
}

/** Accepts connections and holds them open without reading or writing. */
export async function startBlackhole(ip: string): Promise<Host & { accepted: number }> {
  const sockets = new Set<net.Socket>();
  const host = { ip, port: 0, accepted: 0, close: async () => {} };
  const server = net.createServer((s) => {
    host.accepted++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  host.port = (server.address() as net.AddressInfo).port;
  host.close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return host;
}
