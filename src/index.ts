/**
 * The package entry: `import { OverlayNode } from 'xrpl-overlay'`. The node, its options and event
 * types, and the decoders and monitor pieces a program may want on their own.
 */
export { OverlayNode } from './node.js';
export type {
  AmendmentShare,
  LedgerVerdict,
  ManifestEvent,
  MonitoredValidation,
  OverlayNodeEvents,
  OverlayNodeOptions,
  PeerEvent,
  ProposalEvent,
  TransactionEvent,
  ValidatorListEvent,
} from './node.js';
export { decodeValidation, isVotingLedger, serverVersionText, type FeeVote, type Validation } from './monitor/validation.js';
export { ValidatorMonitor, type ValidatorDirectory, type MonitorOptions } from './monitor/validator-monitor.js';
export type { ValidatedLedger } from './monitor/validated-ledger.js';
export { ConfigError } from './config/config.js';
export type { CloseReason } from './peer/reasons.js';
export { VERSION } from './version.js';
