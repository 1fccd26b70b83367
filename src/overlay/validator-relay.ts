/**
 * The overlay's side of the validator rules: rippled's fees for a bad validator list, and the
 * [relay_proposals]/[relay_validations] check on a proposal or validation about to be relayed.
 */
import type { PeerMessage } from '../protocol/codec.js';
import { Charge, type ChargeKind } from '../peer/resource.js';
import { type ListFee, ValidatorsHub } from '../validators/hub.js';
import { quorumJson, validatorListSummary } from '../validators/reports.js';

/** Resource::feeUnwantedData, feeBadData, feeInvalidSignature, feeHighBurdenPeer. */
export const LIST_FEE_CHARGES: Record<ListFee, ChargeKind> = {
  unwantedData: Charge.useless,
  badData: Charge.malformed,
  invalidSignature: Charge.invalidSignature,
  highBurden: Charge.heavy,
};

/** False when the item comes from an untrusted validator and the policy holds such items back. */
export function relayAllowed(hub: ValidatorsHub, msg: PeerMessage): boolean {
  if (msg.name === 'PROPOSE_LEDGER') return hub.shouldRelay('proposal', msg.message.nodePubKey);
  if (msg.name === 'VALIDATION') {
    const signer = ValidatorsHub.validationSigner(msg.message.validation);
    return signer === undefined ? true : hub.shouldRelay('validation', signer);
  }
  return true;
}

/** server_info's validator_list and validation_quorum (admin view). */
export function validatorServerInfo(hub: ValidatorsHub): { validator_list: Record<string, unknown>; validation_quorum: number } {
  return { validator_list: validatorListSummary(hub, false), validation_quorum: quorumJson(hub) };
}
