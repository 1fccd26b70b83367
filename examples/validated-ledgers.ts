import { OverlayNode, type OverlayNodeOptions } from 'xrpl-overlay';

/** Starts a node and prints each validated ledger with the validators that missed it. */
export async function printValidatedLedgers(options: OverlayNodeOptions, print = console.log): Promise<OverlayNode> {
  const node = new OverlayNode(options);
  await node.start();
  void (async () => {
    for await (const ledger of node.stream('validatedLedger')) {
      const missed = [...ledger.missed, ...ledger.disagreed];
      print(`ledger ${ledger.seq} ${ledger.hash}: ${ledger.validators.length} validations, missed by ${missed.length ? missed.join(' ') : 'none'}`);
    }
  })();
  return node;
}

// As a program: node --import tsx examples/validated-ledgers.ts (mainnet, with the public validator list).
if (import.meta.url === `file://${process.argv[1]}`) {
  await printValidatedLedgers({
    ips: ['r.ripple.com 51235'],
    validatorListSites: ['https://vl.ripple.com'],
    validatorListKeys: ['ED2677ABFFD1B33AC6FBC3062B71F1E8397C1505E1C42C64D11AD1B28FF73F4734'],
  });
}
