/**
 * Why a peer connection ended, and why a handshake did not make one: the single vocabulary the
 * logs (`reason` field), the admin peer-status stream and the /metrics `reason` label all use.
 * Codes are stable kebab-case words; prose (with any detail) is for people only and is never parsed.
 */
import type { HandshakeRefusal } from '../protocol/handshake.js';

export type { HandshakeRefusal } from '../protocol/handshake.js';

/** Why an established peer connection was closed. */
export type CloseReason =
  /** The other side closed the connection (FIN or close without error). */
  | 'remote-closed'
  /** The socket failed (reset, TLS error…). */
  | 'socket-error'
  /** It did not answer our previous ping before the next one was due (rippled: "Ping Timeout"). */
  | 'ping-timeout'
  /** Its send queue stayed over the target for several intervals (rippled: "Large send queue"). */
  | 'large-send-queue'
  /** Its resource balance passed the drop threshold. */
  | 'resource-limit'
  /** A frame that cannot be read: over the size limit, bad compression header. */
  | 'bad-frame'
  /** A known message type whose payload does not parse. */
  | 'malformed-message'
  /** A fault of ours while handling its message. */
  | 'internal-error'
  /** An outbound peer whose tracking stayed unknown or diverged past its limit (rippled: "Not useful"). */
  | 'not-useful'
  /** This node is stopping. */
  | 'shutdown';

export const CLOSE_REASONS: readonly CloseReason[] = [
  'remote-closed',
  'socket-error',
  'ping-timeout',
  'large-send-queue',
  'resource-limit',
  'bad-frame',
  'malformed-message',
  'internal-error',
  'not-useful',
  'shutdown',
];

export interface PeerClose {
  reason: CloseReason;
  /** What exactly happened (an error message, the charge that tipped the balance…), for logs. */
  detail?: string;
}

const CLOSE_TEXT: Record<CloseReason, string> = {
  'remote-closed': 'connection closed by peer',
  'socket-error': 'socket error',
  'ping-timeout': 'Ping Timeout',
  'large-send-queue': 'Large send queue',
  'resource-limit': 'resource limit',
  'bad-frame': 'bad frame',
  'malformed-message': 'malformed message',
  'internal-error': 'internal error handling a message',
  'not-useful': 'Not useful',
  shutdown: 'shutting down',
};

/** "ping-timeout" → "Ping Timeout"; with a detail, "bad frame: frame of 67108865 bytes …". */
export function describeClose(c: PeerClose): string {
  return c.detail ? `${CLOSE_TEXT[c.reason]}: ${c.detail}` : CLOSE_TEXT[c.reason];
}

/** Why a dial did not end in an active peer (see handshake-io's ConnectError). */
export type ConnectFailure =
  /** A stage (TCP, TLS, HTTP, the whole attempt) ran out of time. */
  | 'timeout'
  /** TCP could not connect, or the connection failed before the response. */
  | 'network'
  /** The TLS handshake failed. */
  | 'tls'
  /** An HTTP status other than 101 or 503. */
  | 'refused'
  /** 503, with or without redirect addresses. */
  | 'redirect'
  /** Their 101 response failed our checks. */
  | 'handshake'
  /** Not dialled or not kept: the address is over its resource limit. */
  | 'resource-limit'
  /** We already have a connection to that address or node. */
  | 'duplicate'
  /** No outbound slot was free once the handshake was done. */
  | 'slots-full';

/** Why an inbound connection was refused before it became a peer (other than its headers). */
export type InboundRefusal = 'resource-limit' | 'ip-limit' | 'duplicate' | 'slots-full' | 'inbound-disabled';

/** The `reason` of a failed handshake, either way; 'error' is a fault of ours. */
export type HandshakeFailure = HandshakeRefusal | ConnectFailure | InboundRefusal | 'error';
