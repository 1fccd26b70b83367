/**
 * The overlay's side of the validator rules: rippled's fees for a bad validator list, and the
 * [relay_proposals]/[relay_validations] check on a proposal or validation about to be relayed.
 */
import type { PeerMessage } from '../protocol/codec.js';
import { Charge, type ChargeKind } from '../resource/resource.js';
import type { ListFee, ValidatorsHub } from '../validators/hub.js';
import { messageSigner } from '../reduce-relay/vp-relay.js';
import { quorumJson, validatorListSummary } from '../validators/reports.js';

/** Resource::feeUnwantedData, feeBadData, feeInvalidSignature, feeHighBurdenPeer. */
export const LIST_FEE_CHARGES: Record<ListFee, ChargeKind> = {
  unwantedData: Charge.useless,
  badData: Charge.malformed,
  invalidSignature: Charge.invalidSignature,
  highBurden: Charge.heavy,
};

/**
 * The relay policy's answer for a proposal or validation ('relay' for anything else, or when unreadable).
 * `signer`: the message's signing key when the caller has it already (messageSigner), so a validation is
 * not parsed again.
 */
export function relayDecision(hub: ValidatorsHub, msg: PeerMessage, signer: Uint8Array | undefined = messageSigner(msg)): 'relay' | 'hold' | 'drop' {
  if (signer === undefined) return 'relay';
  if (msg.name === 'PROPOSE_LEDGER') return hub.relayDecision('proposal', signer);
  if (msg.name === 'VALIDATION') return hub.relayDecision('validation', signer);
  return 'relay';
}

/** server_info's validator_list and validation_quorum (admin view). */
export function validatorServerInfo(hub: ValidatorsHub): { validator_list: Record<string, unknown>; validation_quorum: number } {
  return { validator_list: validatorListSummary(hub, false), validation_quorum: quorumJson(hub) };
}
