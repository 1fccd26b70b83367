/** Metrics of the validators hub: what the relay policy held back, the trusted set and the quorum. */
import type { ValidatorsHub } from '../validators/hub.js';
import { quorumJson } from '../validators/reports.js';
import { METRIC_PREFIX, type MetricsRegistry } from './metrics.js';

export function registerValidatorMetrics(r: MetricsRegistry, hub: ValidatorsHub): void {
  r.register({
    name: `${METRIC_PREFIX}untrusted_held_back_total`,
    help: 'Proposals and validations from untrusted validators not relayed ([relay_proposals]/[relay_validations]).',
    type: 'counter',
    collect: () => [
      { labels: { kind: 'proposal' }, value: hub.heldBack.proposals },
      { labels: { kind: 'validation' }, value: hub.heldBack.validations },
    ],
  });
  r.register({
    name: `${METRIC_PREFIX}trusted_validators`,
    help: 'Validators in the trusted set.',
    type: 'gauge',
    collect: () => [{ value: hub.list.trustedMasterKeys().length }],
  });
  r.register({
    name: `${METRIC_PREFIX}validation_quorum`,
    help: 'The validation quorum as rippled computes it (4294967295: no quorum).',
    type: 'gauge',
    collect: () => [{ value: quorumJson(hub) }],
  });
}
