/**
 * Typed shapes of the peer messages, as protobufjs decodes them from proto/ripple.proto.
 * bytes → Buffer; uint64 → Uint64 (a Long from protobufjs; see toBigInt); enums → numbers.
 */
import type Long from 'long';

export type Uint64 = number | Long;

export function toBigInt(v: Uint64 | null | undefined): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return BigInt(v);
  return BigInt(v.toString());
}

export function toNumber(v: Uint64 | null | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' ? v : v.toNumber();
}

export const PingType = { PING: 0, PONG: 1 } as const;

export interface TMPing {
  type: number;
  seq?: number;
  pingTime?: Uint64;
  netTime?: Uint64;
}

export interface TMManifests {
  list: { stobject: Buffer }[];
  history?: boolean;
}

export interface TMCluster {
  clusterNodes: { publicKey: string; reportTime: number; nodeLoad: number; nodeName?: string; address?: string }[];
  loadSources: { name: string; cost: number; count?: number }[];
}

export interface TMEndpointV2 {
  endpoint: string;
  hops: number;
}

export interface TMEndpoints {
  version: number;
  endpoints_v2: TMEndpointV2[];
}

export interface TMTransaction {
  rawTransaction: Buffer;
  status: number;
  receiveTimestamp?: Uint64;
  deferred?: boolean;
}

export interface TMTransactions {
  transactions: TMTransaction[];
}

export interface TMHaveTransactions {
  hashes: Buffer[];
}

export const NodeEvent = { CLOSING_LEDGER: 1, ACCEPTED_LEDGER: 2, SWITCHED_LEDGER: 3, LOST_SYNC: 4 } as const;
export const NodeStatus = { CONNECTING: 1, CONNECTED: 2, MONITORING: 3, VALIDATING: 4, SHUTTING: 5 } as const;

export interface TMStatusChange {
  newStatus?: number;
  newEvent?: number;
  ledgerSeq?: number;
  ledgerHash?: Buffer;
  ledgerHashPrevious?: Buffer;
  networkTime?: Uint64;
  firstSeq?: number;
  lastSeq?: number;
}

export interface TMProposeSet {
  proposeSeq: number;
  currentTxHash: Buffer;
  nodePubKey: Buffer;
  closeTime: number;
  signature: Buffer;
  previousledger: Buffer;
  checkedSignature?: boolean;
  addedTransactions: Buffer[];
  removedTransactions: Buffer[];
  hops?: number;
}

export interface TMHaveTransactionSet {
  status: number;
  hash: Buffer;
}

export interface TMValidation {
  validation: Buffer;
  checkedSignature?: boolean;
  hops?: number;
}

export interface TMValidatorList {
  manifest: Buffer;
  blob: Buffer;
  signature: Buffer;
  version: number;
}

export interface TMValidatorListCollection {
  version: number;
  manifest: Buffer;
  blobs: { manifest?: Buffer; blob: Buffer; signature: Buffer }[];
}

export interface TMIndexedObject {
  hash?: Buffer;
  nodeID?: Buffer;
  index?: Buffer;
  data?: Buffer;
  ledgerSeq?: number;
}

export interface TMGetObjectByHash {
  type: number;
  query: boolean;
  /** Matches a reply to its query. */
  seq?: number;
  ledgerHash?: Buffer;
  fat?: boolean;
  objects: TMIndexedObject[];
}

export interface TMGetLedger {
  itype: number;
  ltype?: number;
  ledgerHash?: Buffer;
  ledgerSeq?: number;
  nodeIDs: Buffer[];
  requestCookie?: Uint64;
  queryType?: number;
  queryDepth?: number;
}

export interface TMLedgerData {
  ledgerHash: Buffer;
  ledgerSeq: number;
  type: number;
  nodes: { nodedata: Buffer; nodeid?: Buffer }[];
  requestCookie?: number;
  error?: number;
}

export interface TMSquelch {
  squelch: boolean;
  validatorPubKey: Buffer;
  squelchDuration?: number;
}

export interface TMProofPathRequest {
  key: Buffer;
  ledgerHash: Buffer;
  type: number;
}

export interface TMProofPathResponse {
  key: Buffer;
  ledgerHash: Buffer;
  type: number;
  ledgerHeader?: Buffer;
  path: Buffer[];
  error?: number;
}

export interface TMReplayDeltaRequest {
  ledgerHash: Buffer;
}

export interface TMReplayDeltaResponse {
  ledgerHash: Buffer;
  ledgerHeader?: Buffer;
  transaction: Buffer[];
  error?: number;
}

/** Frame type name → the message it carries. */
export interface MessageMap {
  MANIFESTS: TMManifests;
  PING: TMPing;
  CLUSTER: TMCluster;
  ENDPOINTS: TMEndpoints;
  TRANSACTION: TMTransaction;
  GET_LEDGER: TMGetLedger;
  LEDGER_DATA: TMLedgerData;
  PROPOSE_LEDGER: TMProposeSet;
  STATUS_CHANGE: TMStatusChange;
  HAVE_SET: TMHaveTransactionSet;
  VALIDATION: TMValidation;
  GET_OBJECTS: TMGetObjectByHash;
  VALIDATOR_LIST: TMValidatorList;
  SQUELCH: TMSquelch;
  VALIDATOR_LIST_COLLECTION: TMValidatorListCollection;
  PROOF_PATH_REQ: TMProofPathRequest;
  PROOF_PATH_RESPONSE: TMProofPathResponse;
  REPLAY_DELTA_REQ: TMReplayDeltaRequest;
  REPLAY_DELTA_RESPONSE: TMReplayDeltaResponse;
  HAVE_TRANSACTIONS: TMHaveTransactions;
  TRANSACTIONS: TMTransactions;
}
