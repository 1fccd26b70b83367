/**
 * Message codec: frame type id + protobuf payload ↔ typed message, using proto/ripple.proto.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { MessageType, type MessageTypeName, messageTypeName } from './message-types.js';
import type { MessageMap } from './messages.js';

const PROTO_PATH = fileURLToPath(new URL('../../proto/ripple.proto', import.meta.url));

/** proto message name carried by each frame type. */
const PROTO_NAMES: Record<MessageTypeName, string> = {
  MANIFESTS: 'TMManifests',
  PING: 'TMPing',
  CLUSTER: 'TMCluster',
  ENDPOINTS: 'TMEndpoints',
  TRANSACTION: 'TMTransaction',
  GET_LEDGER: 'TMGetLedger',
  LEDGER_DATA: 'TMLedgerData',
  PROPOSE_LEDGER: 'TMProposeSet',
  STATUS_CHANGE: 'TMStatusChange',
  HAVE_SET: 'TMHaveTransactionSet',
  VALIDATION: 'TMValidation',
  GET_OBJECTS: 'TMGetObjectByHash',
  VALIDATOR_LIST: 'TMValidatorList',
  SQUELCH: 'TMSquelch',
  VALIDATOR_LIST_COLLECTION: 'TMValidatorListCollection',
  PROOF_PATH_REQ: 'TMProofPathRequest',
  PROOF_PATH_RESPONSE: 'TMProofPathResponse',
  REPLAY_DELTA_REQ: 'TMReplayDeltaRequest',
  REPLAY_DELTA_RESPONSE: 'TMReplayDeltaResponse',
  HAVE_TRANSACTIONS: 'TMHaveTransactions',
  TRANSACTIONS: 'TMTransactions',
};

// keepCase: field names stay as in the schema (endpoints_v2), matching rippled and our types.
const root = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
const typesById = new Map<number, protobuf.Type>(
  (Object.keys(PROTO_NAMES) as MessageTypeName[]).map((name) => [
    MessageType[name],
    root.lookupType(`protocol.${PROTO_NAMES[name]}`),
  ]),
);

/** A decoded message, discriminated by its frame type name. */
export type PeerMessage = { [K in MessageTypeName]: { name: K; type: (typeof MessageType)[K]; message: MessageMap[K] } }[MessageTypeName];

export class DecodeError extends Error {
  constructor(
    readonly type: number,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Whether an optional field was present on the wire. protobufjs gives absent proto2 optionals their
 * default value through the prototype, so `msg.seq` alone cannot tell "0" from "not sent".
 */
export function hasField(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}

/** Whether a frame type is one we know (unknown types are skipped by the peer). */
export function isKnownType(type: number): boolean {
  return typesById.has(type);
}

/** Decode a payload of a known type; throws DecodeError if it does not parse (missing required fields etc.). */
export function decodeMessage(type: number, payload: Uint8Array): PeerMessage {
  const pbType = typesById.get(type);
  const name = messageTypeName(type);
  if (!pbType || !name) throw new DecodeError(type, `unknown message type ${type}`);
  try {
    const message = pbType.decode(payload) as unknown;
    return { name, type, message } as PeerMessage;
  } catch (err) {
    throw new DecodeError(type, `malformed ${name}: ${(err as Error).message}`);
  }
}

/** Encode a message for a frame type; throws if a required field is missing. */
export function encodeMessage<K extends MessageTypeName>(name: K, message: MessageMap[K]): Buffer {
  const pbType = typesById.get(MessageType[name])!;
  const problem = pbType.verify(message as Record<string, unknown>);
  if (problem) throw new Error(`cannot encode ${name}: ${problem}`);
  const bytes = pbType.encode(message as Record<string, unknown>).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
