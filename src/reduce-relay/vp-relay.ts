/**
 * Validator/proposal reduce-relay as the overlay uses it: which validator a message is from, the
 * slots that choose our sources and squelch the rest, and the squelches our peers asked of us.
 * Squelching peers needs vprr negotiated on that connection; a TMSquelch from a peer that did not
 * negotiate it is ignored (rippled 3.1.2 honours it regardless, rippled issue #7238).
 */
import type { PeerMessage } from '../protocol/codec.js';
import type { TMSquelch } from '../protocol/messages.js';
import { Charge, type ChargeKind } from '../resource/resource.js';
import { ValidatorsHub } from '../validators/hub.js';
import { Slots, type SquelchHandler } from './slots.js';
import { PeerSquelches, type SquelchOutcome } from './squelch.js';

/** rippled's Tuning::checkIdlePeers: idle sources are looked for every 4 s. */
export const CHECK_IDLE_PEERS_MS = 4000;

/** The few facts of a peer this needs (the overlay's Peer has them). */
export interface SquelchPeer {
  id: number;
  info: { n9: string; features: { vpReduceRelay: boolean } };
  send(name: 'SQUELCH', message: TMSquelch): void;
}

export interface ValidatorRelayOptions {
  /** [reduce_relay] vp_base_squelch_enable: offer vprr, select sources and squelch. */
  enabled: boolean;
  maxSelectedPeers: number;
  now?: () => number;
  randomInt?: (min: number, max: number) => number;
  waitOnBootupMs?: number;
  peer: (id: number) => SquelchPeer | undefined;
  /** A message from a peer we squelched for that validator (rippled's squelch_ignored traffic). */
  onIgnored?: () => void;
}

export type SquelchReceipt = { outcome: SquelchOutcome | 'ignored' } & ({ charge: ChargeKind; reason: string } | { charge?: undefined; reason?: string });

export interface SquelchCounts {
  /** TMSquelch on and off we sent. */
  sent: number;
  unsquelchSent: number;
  /** Messages a peer we squelched sent us anyway. */
  ignoredByPeers: number;
  /** Relays we left out because the peer squelched that validator. */
  suppressed: number;
}

export class ValidatorReduceRelay {
  readonly slots: Slots;
  readonly counts: SquelchCounts = { sent: 0, unsquelchSent: 0, ignoredByPeers: 0, suppressed: 0 };
  private readonly squelches = new Map<number, PeerSquelches>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ValidatorRelayOptions) {
    this.now = opts.now ?? (() => performance.now());
    const handler: SquelchHandler = {
      squelch: (validator, id, seconds) => this.sendSquelch(validator, id, true, seconds),
      unsquelch: (validator, id) => this.sendSquelch(validator, id, false, 0),
    };
    this.slots = new Slots({
      enabled: opts.enabled,
      maxSelectedPeers: opts.maxSelectedPeers,
      handler,
      now: this.now,
      randomInt: opts.randomInt,
      waitOnBootupMs: opts.waitOnBootupMs,
    });
  }

  start(): void {
    if (!this.opts.enabled) return;
    this.timer = setInterval(() => this.slots.deleteIdlePeers(), CHECK_IDLE_PEERS_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  onPeerClosed(id: number): void {
    this.squelches.delete(id);
    this.slots.deletePeer(id);
  }

  /** A TMSquelch from `peer`: applied when vprr was negotiated with it, ignored otherwise. */
  onSquelch(peer: SquelchPeer, m: TMSquelch): SquelchReceipt {
    if (!peer.info.features.vpReduceRelay) return { outcome: 'ignored', reason: 'vprr not negotiated' };
    const key = m.validatorPubKey;
    if (!isPublicKey(key)) return { outcome: 'ignored', charge: Charge.invalidData, reason: 'squelch bad pubkey' };
    let table = this.squelches.get(peer.id);
    if (!table) this.squelches.set(peer.id, (table = new PeerSquelches(this.now)));
    const outcome = table.apply(key.toString('hex'), m.squelch, m.squelchDuration ?? 0);
    if (outcome === 'bad-duration') return { outcome, charge: Charge.invalidData, reason: 'squelch duration' };
    return { outcome };
  }

  /** May a message of `validator` go to `peer`? No while that peer has it squelched. */
  mayRelay(peerId: number, validator: string | undefined): boolean {
    if (validator === undefined) return true;
    const squelched = this.squelches.get(peerId)?.isSquelched(validator) ?? false;
    if (squelched) this.counts.suppressed++;
    return !squelched;
  }

  /** Peers `peerIds` brought message `key` of `validator` (the first sender and later copies alike). */
  observe(key: string, validator: string, peerIds: Iterable<number>): void {
    if (!this.slots.active) return;
    for (const id of peerIds) {
      this.slots.update(key, validator, id, () => {
        this.counts.ignoredByPeers++;
        this.opts.onIgnored?.();
      });
    }
  }

  private sendSquelch(validator: string, id: number, squelch: boolean, seconds: number): void {
    const peer = this.opts.peer(id);
    // Only a peer that negotiated vprr is asked: to any other a TMSquelch means nothing (or, to a
    // rippled before #7238 is fixed, more than it agreed to).
    if (!peer || !peer.info.features.vpReduceRelay) return;
    const validatorPubKey = Buffer.from(validator, 'hex');
    if (squelch) {
      this.counts.sent++;
      peer.send('SQUELCH', { squelch: true, validatorPubKey, squelchDuration: seconds });
    } else {
      this.counts.unsquelchSent++;
      peer.send('SQUELCH', { squelch: false, validatorPubKey });
    }
  }
}

/** The signing key of a proposal or validation (a validation is parsed for it: call this once per message). */
export function messageSigner(msg: PeerMessage): Buffer | undefined {
  if (msg.name === 'PROPOSE_LEDGER') return Buffer.from(msg.message.nodePubKey);
  if (msg.name === 'VALIDATION') return ValidatorsHub.validationSigner(msg.message.validation);
  return undefined;
}

/** rippled's publicKeyType: 33 bytes, secp256k1 (02/03) or ed25519 (ED). */
function isPublicKey(k: Uint8Array | undefined): k is Buffer {
  return !!k && k.length === 33 && (k[0] === 0x02 || k[0] === 0x03 || k[0] === 0xed);
}
