/**
 * Relay never sends an item back to a peer that sent it to us, even when several peers sent it:
 * rippled's HashRouter remembers every sender since the item was last relayed, and the relay skips
 * them all. Real sockets on 127.0.109.30-34.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import { decodeMessage } from '../src/protocol/codec.js';
import { MessageType } from '../src/protocol/message-types.js';
import type { TMTransaction } from '../src/protocol/messages.js';
import { portOf, startNode, stopAllNodes, waitFor } from './support/nodes.js';
import { frameVectors, payloadOf } from './support/vectors.js';

/** Two distinct transactions rippled 3.1.2 sent in the recorded network: signed, so relay passes them on. */
function recordedTransactions(): [TMTransaction, TMTransaction] {
  const seen = new Map<string, TMTransaction>();
  for (const v of frameVectors()) {
    if (v.type !== MessageType.TRANSACTION) continue;
    const m = decodeMessage(v.type, payloadOf(v));
    if (m.name === 'TRANSACTION') seen.set(Buffer.from(m.message.rawTransaction).toString('hex'), m.message);
  }
  const [first, second] = [...seen.values()];
  return [first!, second!];
}

afterEach(stopAllNodes);

describe('relay with two senders', () => {
  it('skips every peer that sent the item since it was last relayed', async () => {
    const HUB = '127.0.109.30';
    // relay_time at rippled's least (8 s) so the item may be relayed a second time within the test.
    const hub = await startNode({ ip: HUB, port: 0, extra: '[hashrouter]\nrelay_time = 8' });
    // Private leaves linked to the hub alone, so every copy they hear came from the hub.
    const leaf = (ip: string) => startNode({ ip, port: 0, extra: `[peer_private]\n1\n[ips_fixed]\n${HUB} ${portOf(hub)}` });
    const [a, b, c, d] = [await leaf('127.0.109.31'), await leaf('127.0.109.32'), await leaf('127.0.109.33'), await leaf('127.0.109.34')] as Daemon[];
    const leaves = [a!, b!, c!, d!];
    await waitFor('four leaves linked to the hub, both sides', () => hub.overlay.peers().length === 4 && leaves.every((n) => n.overlay.peers().length === 1));
    const [tx, marker] = recordedTransactions();
    const heard = new Map<Daemon, number>(leaves.map((n) => [n, 0]));
    const markers = new Set<Daemon>();
    for (const n of leaves) {
      n.overlay.on('message', (_p, m) => {
        if (m.name !== 'TRANSACTION') return;
        if (Buffer.from(m.message.rawTransaction).equals(Buffer.from(tx.rawTransaction))) heard.set(n, heard.get(n)! + 1);
        else markers.add(n);
      });
    }
    const send = (n: Daemon) => n.overlay.peers()[0]!.send('TRANSACTION', tx);

    send(a!); // relayed to b, c, d at once
    await waitFor('the first relay', () => heard.get(b!) === 1 && heard.get(c!) === 1 && heard.get(d!) === 1);
    send(b!); // within relay_time: not relayed, but b is now a sender too
    // c keeps sending: once relay_time has passed the hub relays again, skipping b and c, who both sent
    // it since the last relay. Bound: 8 s relay_time plus a loaded machine's slack.
    const repeat = setInterval(() => send(c!), 250);
    try {
      await waitFor('the second relay', () => heard.get(d!) === 2, 20_000);
    } finally {
      clearInterval(repeat);
    }
    // a sent it before the last relay, so it is no longer a sender: it gets the second copy (rippled too).
    await waitFor('a hears the second relay', () => heard.get(a!) === 1);
    // A fresh item from d reaches b and c after anything the hub wrote to them before it (one TCP
    // stream each): once they have it, a copy sent back to them would have arrived too.
    d!.overlay.peers()[0]!.send('TRANSACTION', marker);
    await waitFor('the marker at b and c', () => markers.has(b!) && markers.has(c!));
    expect(heard.get(b!)).toBe(1);
    expect(heard.get(c!)).toBe(1);
  }, 40_000);
});
