/**
 * The package as a user gets it: `npm pack` of a checkout with no dist/ (the prepack script must
 * build it), `npm install -g` of the tarball into a temporary prefix, and the installed
 * `xrpl-overlay` command run from that prefix's bin/ with the shipped config/hub.cfg (its
 * addresses moved to 127.0.111.10, this file's own). One pack and one install: both are slow
 * (about 10 s each on an idle 2-core machine, much more when it is loaded, hence the long bounds).
 * The same install is what contrib/xrpl-overlay.service is verified against (systemd-analyze verify
 * checks that ExecStart's file exists), and the Dockerfile is checked to run the README's set-up.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEER_PORT, RPC_PORT, waitFor, WS_PORT } from './support/nodes.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const IP = '127.0.111.10';
// Pack + install on a loaded machine; the registry is asked only for what is not in npm's cache.
const SLOW_MS = 400_000;

let work: string;
let files: string[] = [];
let bin: string;
let installed: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'xrpl-overlay-pack-'));
  // A clean checkout: what git tracks, without dist/ (node_modules linked so the build can run).
  const src = join(work, 'src');
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'rippled.cfg.example']) {
    cpSync(join(ROOT, f), join(src, f));
  }
  for (const d of ['src', 'proto', 'config']) cpSync(join(ROOT, d), join(src, d), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
  const npmOpts = { cwd: src, maxBuffer: 16 << 20 };
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], npmOpts);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  files = info[0]!.files.map((f) => f.path).sort();
  // The prefix `npm install -g` uses on Debian, inside a root that systemd-analyze verify can be pointed at.
  const prefix = join(work, 'root', 'usr', 'local');
  await run('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', prefix, join(work, info[0]!.filename)], npmOpts);
  bin = join(prefix, 'bin', 'xrpl-overlay');
  installed = join(prefix, 'lib', 'node_modules', 'xrpl-overlay');
}, SLOW_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('builds dist/ and ships only what a user needs', () => {
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/daemon.js');
    for (const f of ['package.json', 'README.md', 'LICENSE', 'rippled.cfg.example', 'proto/ripple.proto', 'config/hub.cfg']) expect(files).toContain(f);
    const top = new Set(files.map((f) => f.split('/')[0]));
    expect([...top].sort()).toEqual(['LICENSE', 'README.md', 'config', 'dist', 'package.json', 'proto', 'rippled.cfg.example']);
  });

  it('the licence file matches package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8').split('\n')[0]).toBe(`${pkg.license} License`);
  });
});

describe('npm install -g of the tarball', () => {
  it('puts an xrpl-overlay command in the prefix bin/ that runs', async () => {
    expect(readFileSync(join(installed, 'dist', 'cli.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const { stdout } = await run(bin, ['--version'], { cwd: work });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(stdout).toBe(`xrpl-overlay ${pkg.version}\n`);
  });

  it('runs the daemon with the shipped config/hub.cfg, from any directory, ignores SIGHUP and stops on SIGTERM', async () => {
    // Its ports moved too: to this run's free ports, so a second copy of the suite does not collide.
    const hub = readFileSync(join(installed, 'config', 'hub.cfg'), 'utf8')
      .replaceAll('127.0.0.2', IP)
      .replace('port = 51235', `port = ${PEER_PORT}`)
      .replace('port = 5005', `port = ${RPC_PORT}`)
      .replace('port = 6006', `port = ${WS_PORT}`);
    expect(hub).toContain(`ip = ${IP}`);
    const cwd = mkdtempSync(join(work, 'run-'));
    writeFileSync(join(cwd, 'hub.cfg'), hub);
    const child = spawn(bin, ['--conf', 'hub.cfg'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      // The codec loads proto/ripple.proto relative to its own file when the module loads: a daemon that
      // got this far found it inside the installed package.
      await waitFor('the installed daemon to start', () => out.includes('"msg":"xrpl-overlay started"'), 30_000);
      expect(out).toContain(`"address":"${IP}:${PEER_PORT}"`);
      // State in the xrpl-overlay/ folder of the config's [database_path] (.data/hub).
      expect(out).toContain(`"dataDir":"${join(cwd, '.data', 'hub', 'xrpl-overlay')}"`);
      // No reload (contrib/xrpl-overlay.service has no ExecReload): SIGHUP is logged, and the node goes on.
      child.kill('SIGHUP');
      await waitFor('the SIGHUP logged', () => out.includes('SIGHUP ignored'), 10_000);
      expect(child.exitCode).toBe(null);
      expect(child.signalCode).toBe(null);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('contrib/xrpl-overlay.service', () => {
  const unit = readFileSync(join(ROOT, 'contrib', 'xrpl-overlay.service'), 'utf8');
  const service = (key: string) => unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

  it('runs the installed command as its own user with a state directory, restarts on failure, raises the fd limit', () => {
    expect(service('User')).toEqual(['xrpl-overlay']);
    expect(service('StateDirectory')).toEqual(['xrpl-overlay']);
    expect(service('ExecStart')).toEqual(['/usr/local/bin/xrpl-overlay --conf /etc/xrpl-overlay/xrpl-overlay.cfg --data-dir /var/lib/xrpl-overlay']);
    expect(service('Restart')).toEqual(['on-failure']);
    expect(service('LimitNOFILE')).toEqual(['65536']);
    // No reload: SIGHUP is documented as ignored (src/cli.ts), so there must be no ExecReload claiming otherwise.
    expect(service('ExecReload')).toEqual([]);
    expect(unit).toMatch(/SIGHUP is logged and otherwise ignored/);
  });

  it('passes systemd-analyze verify with ExecStart resolved to the command npm install -g put in /usr/local/bin', () => {
    const which = spawnSync('systemd-analyze', ['--version']);
    if (which.error) throw new Error('systemd-analyze is missing: apt-get install systemd (.ci/run does)');
    // A root holding the installed package at usr/local, systemd's own units (the unit's default
    // dependencies, sysinit.target and the rest) and the unit under test, unchanged.
    const root = join(work, 'root');
    const systemUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'sysinit.target')));
    expect(systemUnits, 'systemd units (sysinit.target) on this machine').toBeDefined();
    cpSync(systemUnits!, join(root, 'usr', 'lib', 'systemd', 'system'), { recursive: true });
    mkdirSync(join(root, 'etc', 'systemd', 'system'), { recursive: true });
    cpSync(join(ROOT, 'contrib', 'xrpl-overlay.service'), join(root, 'etc', 'systemd', 'system', 'xrpl-overlay.service'));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'xrpl-overlay.service'], { encoding: 'utf8' });
    // verify exits 0 on unknown keys and unparsable values and only warns: any output is a failure.
    expect({ status: r.status, out: r.stdout + r.stderr }).toEqual({ status: 0, out: '' });
  });
});

describe('Dockerfile', () => {
  it('is node:20-slim, non-root, with the data dir as a volume and port 51235, set up with the README commands', () => {
    const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const setUp = readme.slice(readme.indexOf('## Set up'));
    const block = setUp.slice(setUp.indexOf('```sh\n') + 6, setUp.indexOf('\n```', setUp.indexOf('```sh\n')));
    const commands = block.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
    expect(commands.slice(0, 3)).toEqual(['npm ci', 'npm pack', 'npm install -g ./xrpl-overlay-*.tgz']);
    expect(docker).toMatch(/^RUN npm ci && npm pack$/m);
    expect(docker).toMatch(/^RUN npm install -g \/tmp\/xrpl-overlay-\*\.tgz /m);
    expect(docker.match(/^FROM (\S+)/gm)).toEqual(['FROM node:20-slim', 'FROM node:20-slim']);
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/^VOLUME \/var\/lib\/xrpl-overlay$/m);
    expect(docker).toMatch(/^EXPOSE 51235$/m);
    expect(docker).toMatch(/^ENTRYPOINT \["xrpl-overlay", "--conf", /m);
  });
});
