// Shared by the end-to-end suites: start a real jarvisd, find binaries,
// read what must never hold a secret.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
export const root = path.resolve(here, '../..');
/** Test material next to the repository: models and voice fixtures. */
export const sharedDir = path.resolve(root, '../shared');
export const binDir = process.env.JARVIS_BIN_DIR ?? path.join(root, 'target/debug');
export const outDir = process.env.JARVIS_E2E_OUT ?? path.join(root, 'target/e2e');
mkdirSync(outDir, { recursive: true });

// playwright-core is a dev dependency of the UI package.
export const requireUi = createRequire(path.join(root, 'src-ui/package.json'));

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Starts jarvisd on a free loopback port; resolves once it prints its URL. */
export async function startJarvisd(dataDir, extraArgs = []) {
  const logs = [];
  const child = spawn(path.join(binDir, 'jarvisd'), ['--data-dir', dataDir, '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'debug,hyper=info,h2=info,tower=info', NO_COLOR: '1' },
  });
  child.stderr.on('data', (d) => logs.push(d.toString()));
  const started = Date.now();
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`jarvisd did not start: ${logs.join('')}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`jarvisd exited with ${code}: ${logs.join('')}`)));
  });
  return {
    url,
    startupMs: Date.now() - started,
    logs: () => logs.join(''),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

export function ownerToken(dataDir) {
  return execFileSync(path.join(binDir, 'jarvisd'), ['token', '--data-dir', dataDir], {
    env: { ...process.env, RUST_LOG: 'warn' },
  })
    .toString()
    .trim();
}

/** Every secret the test keychain holds for Jarvis, as `secret-tool` prints them. */
export function keychainDump() {
  return execFileSync('secret-tool', ['search', '--all', '--unlock', 'service', 'jarvis'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

/** The bytes of every file in a data dir (database, WAL, logs). */
export function dataDirBytes(dataDir) {
  const parts = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (existsSync(p)) parts.push(readFileSync(p).toString('latin1'));
    }
  };
  walk(dataDir);
  return parts.join('\n');
}

export async function api(base, token, method, route, body) {
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + route, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : null };
}
