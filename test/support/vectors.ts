/** Access to the real rippled wire data kept in test/fixtures/vectors (a copy of the project's shared vectors folder; see its README). */
import { readFileSync } from 'node:fs';

const VECTORS = new URL('../fixtures/vectors/', import.meta.url);

export interface FrameVector {
  capture: string;
  node: string;
  direction: 'received' | 'sent';
  seq?: number;
  t: number;
  type: number;
  name: string;
  compressed: boolean;
  header_hex: string;
  payload_hex: string;
  algorithm_bits?: number;
  uncompressed_size?: number;
  uncompressed_payload_hex?: string;
  expect: Record<string, any>;
}

export interface HandshakeVector {
  capture: string;
  node: string;
  description: string;
  tls: string;
  client_public_key: string;
  shared_value_hex: string;
  request_text: string;
  status_line: string;
  response_head_text: string;
  response_headers: [string, string][];
  response_session_signature_valid?: boolean;
  connection_closed_after_response?: boolean;
}

export function frameVectors(): FrameVector[] {
  return readFileSync(new URL('rippled-3.1.2-frames.jsonl', VECTORS), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as FrameVector);
}

export function handshakeVectors(): HandshakeVector[] {
  return JSON.parse(readFileSync(new URL('rippled-3.1.2-handshakes.json', VECTORS), 'utf8')).handshakes;
}

export function nodeSeedVectors(): { seed: string; pubkey_node: string; pubkey_node_hex: string; handshake_public_key_base64: string }[] {
  return JSON.parse(readFileSync(new URL('node-seeds.json', VECTORS), 'utf8'));
}

/** The uncompressed payload of a recorded frame. */
export function payloadOf(v: FrameVector): Buffer {
  return Buffer.from(v.compressed ? v.uncompressed_payload_hex! : v.payload_hex, 'hex');
}
