/**
 * Bundles a bench entry (and the src/ it imports) into one plain-JS file with esbuild, so that many
 * processes can start from it without each paying for a TypeScript loader: measured on this machine,
 * a process that loads the daemon through tsx takes ~1.2 s of CPU and ~105 MB RSS, from a bundle
 * ~0.5 s and ~77 MB. The bundle goes to node_modules/.cache/ so that its package imports resolve
 * (packages stay external); each module's `import.meta.url` is replaced by its source file's URL, so
 * src/ still finds proto/ and package.json beside it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Bundle `entry` (a path under the repository) and return the bundle's path. */
export async function bundle(entry: string, name: string): Promise<string> {
  const outfile = `${ROOT}node_modules/.cache/xrpl-overlay-bench/${name}.mjs`;
  await build({
    entryPoints: [`${ROOT}${entry}`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
    plugins: [
      {
        name: 'source-import-meta-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (a) => ({
            contents: (await readFile(a.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(a.path).href)),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  return outfile;
}
