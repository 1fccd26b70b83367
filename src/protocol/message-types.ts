/**
 * Peer message type numbers as they appear in the frame header (proto `MessageType`).
 * Retired numbers (1, 50–53, 61, 62) are never reused.
 */
export const MessageType = {
  MANIFESTS: 2,
  PING: 3,
  CLUSTER: 5,
  ENDPOINTS: 15,
  TRANSACTION: 30,
  GET_LEDGER: 31,
  LEDGER_DATA: 32,
  PROPOSE_LEDGER: 33,
  STATUS_CHANGE: 34,
  HAVE_SET: 35,
  VALIDATION: 41,
  GET_OBJECTS: 42,
  VALIDATOR_LIST: 54,
  SQUELCH: 55,
  VALIDATOR_LIST_COLLECTION: 56,
  PROOF_PATH_REQ: 57,
  PROOF_PATH_RESPONSE: 58,
  REPLAY_DELTA_REQ: 59,
  REPLAY_DELTA_RESPONSE: 60,
  HAVE_TRANSACTIONS: 63,
  TRANSACTIONS: 64,
} as const;

export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeId = (typeof MessageType)[MessageTypeName];

const namesById = new Map<number, MessageTypeName>(
  Object.entries(MessageType).map(([name, id]) => [id, name as MessageTypeName]),
);

export function messageTypeName(id: number): MessageTypeName | undefined {
  return namesById.get(id);
}

/** Types rippled compresses when LZ4 was negotiated (Message.cpp). */
export const COMPRESSIBLE_TYPES: ReadonlySet<number> = new Set([
  MessageType.MANIFESTS,
  MessageType.ENDPOINTS,
  MessageType.TRANSACTION,
  MessageType.GET_LEDGER,
  MessageType.LEDGER_DATA,
  MessageType.GET_OBJECTS,
  MessageType.VALIDATOR_LIST,
  MessageType.VALIDATOR_LIST_COLLECTION,
  MessageType.REPLAY_DELTA_RESPONSE,
  MessageType.TRANSACTIONS,
]);
