/**
 * A port that cannot be opened, named the way the operator wrote it:
 * `[port_peer] 127.0.0.70:52235: address already in use`.
 */
import { isIP } from 'node:net';

export class ListenError extends Error {
  constructor(
    readonly stanza: string,
    readonly address: string,
    readonly code: string | undefined,
    reason: string,
  ) {
    super(`[${stanza}] ${address}: ${reason}`);
    this.name = 'ListenError';
  }
}

export function listenError(stanza: string, ip: string, port: number, err: unknown): ListenError {
  const address = isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
  const e = err as NodeJS.ErrnoException;
  return new ListenError(stanza, address, e.code, listenReason(e, port));
}

function listenReason(e: NodeJS.ErrnoException, port: number): string {
  switch (e.code) {
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EACCES':
      return port < 1024 ? 'permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)' : 'permission denied';
    case 'EADDRNOTAVAIL':
      return 'address not available (no interface on this machine has it)';
    default:
      return e.message;
  }
}
