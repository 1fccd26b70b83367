/**
 * Traffic by rippled's categories (TrafficCount.h / TrafficCount.cpp): every message in and out is
 * counted under the category its type (and, for ledger and object requests, its content and
 * direction) puts it in, and under `total`; relay adds the duplicate, untrusted and squelch
 * breakdowns. Reported by the admin `get_counts` command and at /metrics.
 */
import { hasField, type PeerMessage } from '../protocol/codec.js';
import { MessageType } from '../protocol/message-types.js';

/** rippled's category names (TrafficCount::toString), in its order. */
export const TRAFFIC_CATEGORIES = [
  'overhead', 'overhead_cluster', 'overhead_overlay', 'overhead_manifest',
  'transactions', 'transactions_duplicate',
  'proposals', 'proposals_untrusted', 'proposals_duplicate',
  'validations', 'validations_untrusted', 'validations_duplicate',
  'validator_lists', 'squelch', 'squelch_suppressed', 'squelch_ignored',
  'set_get', 'set_share',
  'ledger_data_Transaction_Set_candidate_get', 'ledger_data_Transaction_Set_candidate_share',
  'ledger_data_Transaction_Node_get', 'ledger_data_Transaction_Node_share',
  'ledger_data_Account_State_Node_get', 'ledger_data_Account_State_Node_share',
  'ledger_data_get', 'ledger_data_share',
  'ledger_Transaction_Set_candidate_share', 'ledger_Transaction_Set_candidate_get',
  'ledger_Transaction_node_share', 'ledger_Transaction_node_get',
  'ledger_Account_State_node_share', 'ledger_Account_State_node_get',
  'ledger_share', 'ledger_get',
  'getobject_Ledger_share', 'getobject_Ledger_get',
  'getobject_Transaction_share', 'getobject_Transaction_get',
  'getobject_Transaction_node_share', 'getobject_Transaction_node_get',
  'getobject_Account_State_node_share', 'getobject_Account_State_node_get',
  'getobject_CAS_share', 'getobject_CAS_get',
  'getobject_Fetch_Pack_share', 'getobject_Fetch Pack_get',
  'getobject_Transactions_get',
  'getobject_share', 'getobject_get',
  'proof_path_request', 'proof_path_response', 'replay_delta_request', 'replay_delta_response',
  'have_transactions', 'requested_transactions',
  'total', 'unknown',
] as const;

export type TrafficCategory = (typeof TRAFFIC_CATEGORIES)[number];

const BY_TYPE: Partial<Record<number, TrafficCategory>> = {
  [MessageType.PING]: 'overhead',
  [MessageType.STATUS_CHANGE]: 'overhead',
  [MessageType.CLUSTER]: 'overhead_cluster',
  [MessageType.MANIFESTS]: 'overhead_manifest',
  [MessageType.ENDPOINTS]: 'overhead_overlay',
  [MessageType.TRANSACTION]: 'transactions',
  [MessageType.VALIDATOR_LIST_COLLECTION]: 'validator_lists',
  [MessageType.VALIDATION]: 'validations',
  [MessageType.PROPOSE_LEDGER]: 'proposals',
  [MessageType.PROOF_PATH_REQ]: 'proof_path_request',
  [MessageType.PROOF_PATH_RESPONSE]: 'proof_path_response',
  [MessageType.REPLAY_DELTA_REQ]: 'replay_delta_request',
  [MessageType.REPLAY_DELTA_RESPONSE]: 'replay_delta_response',
  [MessageType.HAVE_TRANSACTIONS]: 'have_transactions',
  [MessageType.TRANSACTIONS]: 'requested_transactions',
  [MessageType.SQUELCH]: 'squelch',
};

/** TMLedgerInfoType: liTS_CANDIDATE, liTX_NODE, liAS_NODE. */
const LI = { TS_CANDIDATE: 3, TX_NODE: 1, AS_NODE: 2 } as const;
/** TMGetObjectByHash ObjectType names in rippled's category names. */
const OBJECT_NAMES: Record<number, string> = { 1: 'Ledger', 2: 'Transaction', 3: 'Transaction_node', 4: 'Account_State_node', 5: 'CAS', 6: 'Fetch_Pack' };

/**
 * rippled's TrafficCount::categorize. Without the message (a frame passed on as bytes) a ledger or
 * object message falls in its generic category.
 */
export function categorize(type: number, msg: PeerMessage | undefined, inbound: boolean): TrafficCategory {
  const direct = BY_TYPE[type];
  if (direct) return direct;
  if (type === MessageType.HAVE_SET) return inbound ? 'set_get' : 'set_share';
  if (type === MessageType.LEDGER_DATA) {
    const m = msg?.name === 'LEDGER_DATA' ? msg.message : undefined;
    const get = inbound && !(m && hasField(m, 'requestCookie'));
    const kind = m?.type === LI.TS_CANDIDATE ? 'Transaction_Set_candidate_' : m?.type === LI.TX_NODE ? 'Transaction_Node_' : m?.type === LI.AS_NODE ? 'Account_State_Node_' : '';
    return `ledger_data_${kind}${get ? 'get' : 'share'}` as TrafficCategory;
  }
  if (type === MessageType.GET_LEDGER) {
    const m = msg?.name === 'GET_LEDGER' ? msg.message : undefined;
    const share = inbound || !!(m && hasField(m, 'requestCookie'));
    const kind = m?.itype === LI.TS_CANDIDATE ? 'Transaction_Set_candidate_' : m?.itype === LI.TX_NODE ? 'Transaction_node_' : m?.itype === LI.AS_NODE ? 'Account_State_node_' : '';
    return `ledger_${kind}${share ? 'share' : 'get'}` as TrafficCategory;
  }
  if (type === MessageType.GET_OBJECTS) {
    const m = msg?.name === 'GET_OBJECTS' ? msg.message : undefined;
    if (m?.type === 7) return 'getobject_Transactions_get';
    const share = m !== undefined && m.query === inbound;
    const name = m ? OBJECT_NAMES[m.type] : undefined;
    // rippled spells one of them with a space: "getobject_Fetch Pack_get".
    if (name === 'Fetch_Pack' && !share) return 'getobject_Fetch Pack_get';
    return (name ? `getobject_${name}_${share ? 'share' : 'get'}` : `getobject_${share ? 'share' : 'get'}`) as TrafficCategory;
  }
  return 'unknown';
}

export interface TrafficStat {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
}

export class TrafficCount {
  private readonly stats = new Map<TrafficCategory, TrafficStat>(
    TRAFFIC_CATEGORIES.map((c) => [c, { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 }]),
  );

  add(category: TrafficCategory, inbound: boolean, bytes: number): void {
    const s = this.stats.get(category)!;
    if (inbound) {
      s.bytesIn += bytes;
      s.messagesIn++;
    } else {
      s.bytesOut += bytes;
      s.messagesOut++;
    }
  }

  /** A message on the wire: its category and `total`. */
  addMessage(type: number, msg: PeerMessage | undefined, inbound: boolean, bytes: number): void {
    this.add(categorize(type, msg, inbound), inbound, bytes);
    this.add('total', inbound, bytes);
  }

  get(category: TrafficCategory): TrafficStat {
    return { ...this.stats.get(category)! };
  }

  /** Categories with traffic (rippled skips those with no message either way), in rippled's order. */
  active(): [TrafficCategory, TrafficStat][] {
    return TRAFFIC_CATEGORIES.flatMap((c) => {
      const s = this.stats.get(c)!;
      return s.messagesIn || s.messagesOut ? [[c, { ...s }] as [TrafficCategory, TrafficStat]] : [];
    });
  }
}
