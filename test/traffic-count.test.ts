/** rippled's traffic categories (TrafficCount::categorize and toString) and the get_counts answer. */
import { describe, expect, it } from 'vitest';
import { uptimeText } from '../src/admin/traffic-counts.js';
import { MessageType } from '../src/protocol/message-types.js';
import type { PeerMessage } from '../src/protocol/codec.js';
import { categorize, TRAFFIC_CATEGORIES, TrafficCount } from '../src/traffic/traffic-count.js';

const msg = (name: string, message: object) => ({ name, type: 0, message }) as unknown as PeerMessage;

describe('traffic categories (rippled TrafficCount)', () => {
  it('by type', () => {
    expect(categorize(MessageType.PING, undefined, true)).toBe('overhead');
    expect(categorize(MessageType.STATUS_CHANGE, undefined, false)).toBe('overhead');
    expect(categorize(MessageType.CLUSTER, undefined, true)).toBe('overhead_cluster');
    expect(categorize(MessageType.ENDPOINTS, undefined, true)).toBe('overhead_overlay');
    expect(categorize(MessageType.MANIFESTS, undefined, true)).toBe('overhead_manifest');
    expect(categorize(MessageType.SQUELCH, undefined, false)).toBe('squelch');
    expect(categorize(MessageType.HAVE_TRANSACTIONS, undefined, true)).toBe('have_transactions');
    expect(categorize(MessageType.TRANSACTIONS, undefined, true)).toBe('requested_transactions');
    // rippled maps only the collection message to validator_lists; TMValidatorList falls in unknown.
    expect(categorize(MessageType.VALIDATOR_LIST_COLLECTION, undefined, true)).toBe('validator_lists');
    expect(categorize(MessageType.VALIDATOR_LIST, undefined, true)).toBe('unknown');
    expect(categorize(MessageType.HAVE_SET, undefined, true)).toBe('set_get');
    expect(categorize(MessageType.HAVE_SET, undefined, false)).toBe('set_share');
  });

  it('ledger data and requests by kind, direction and cookie', () => {
    expect(categorize(MessageType.LEDGER_DATA, msg('LEDGER_DATA', { type: 3 }), true)).toBe('ledger_data_Transaction_Set_candidate_get');
    expect(categorize(MessageType.LEDGER_DATA, msg('LEDGER_DATA', { type: 3, requestCookie: 5 }), true)).toBe('ledger_data_Transaction_Set_candidate_share');
    expect(categorize(MessageType.LEDGER_DATA, msg('LEDGER_DATA', { type: 2 }), false)).toBe('ledger_data_Account_State_Node_share');
    expect(categorize(MessageType.LEDGER_DATA, msg('LEDGER_DATA', { type: 0 }), true)).toBe('ledger_data_get');
    expect(categorize(MessageType.GET_LEDGER, msg('GET_LEDGER', { itype: 1 }), false)).toBe('ledger_Transaction_node_get');
    expect(categorize(MessageType.GET_LEDGER, msg('GET_LEDGER', { itype: 1 }), true)).toBe('ledger_Transaction_node_share');
    expect(categorize(MessageType.GET_LEDGER, msg('GET_LEDGER', { itype: 0, requestCookie: 1 }), false)).toBe('ledger_share');
    expect(categorize(MessageType.GET_OBJECTS, msg('GET_OBJECTS', { type: 7, query: true }), false)).toBe('getobject_Transactions_get');
    expect(categorize(MessageType.GET_OBJECTS, msg('GET_OBJECTS', { type: 1, query: true }), true)).toBe('getobject_Ledger_share');
    expect(categorize(MessageType.GET_OBJECTS, msg('GET_OBJECTS', { type: 6, query: true }), false)).toBe('getobject_Fetch Pack_get');
    expect(categorize(MessageType.GET_OBJECTS, msg('GET_OBJECTS', { type: 0, query: false }), true)).toBe('getobject_get');
  });

  it('counts a message under its category and total, and lists only active categories in rippled\'s order', () => {
    const t = new TrafficCount();
    t.addMessage(MessageType.VALIDATION, undefined, true, 150);
    t.addMessage(MessageType.PING, undefined, false, 20);
    t.add('validations_duplicate', true, 150);
    expect(t.get('total')).toEqual({ bytesIn: 150, bytesOut: 20, messagesIn: 1, messagesOut: 1 });
    expect(t.active().map(([c]) => c)).toEqual(['overhead', 'validations', 'validations_duplicate', 'total']);
    expect(TRAFFIC_CATEGORIES).toHaveLength(57);
  });

  it('uptime as rippled writes it', () => {
    expect(uptimeText(79)).toBe('1 minute, 19 seconds');
    expect(uptimeText(3600 + 2)).toBe('1 hour, 2 seconds');
    expect(uptimeText(2 * 86_400 + 120)).toBe('2 days, 2 minutes');
  });
});
