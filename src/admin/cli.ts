/** `xrpl-overlay <command>`: talk to a running node's admin port (written with the admin API). */
export const ADMIN_COMMANDS: readonly string[] = [];

export async function runAdminCommand(command: string, _args: string[], _opts: { conf?: string; json: boolean }): Promise<number> {
  process.stderr.write(`xrpl-overlay: unknown command '${command}'\n`);
  return 2;
}
