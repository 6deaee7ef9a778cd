// The real Jarvis window (Tauri + WebKitGTK under Xvfb) driven over WebDriver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { binDir, dataDirBytes, keychainDump, outDir, tempDir } from './harness.mjs';
import { Session, sleep } from './webdriver.mjs';

const KEY = 'sk-e2e-desktop-7d3b9e1f0a2c4d6e8f11';
const app = path.join(binDir, 'jarvis');
let session;
let dataDir;

async function shot(name) {
  await sleep(500);
  writeFileSync(path.join(outDir, `desktop-${name}.png`), await session.screenshot());
}

before(async () => {
  dataDir = tempDir('jarvis-e2e-desktop-');
  const started = Date.now();
  session = await Session.create(process.env.WEBDRIVER_URL, {
    browserName: 'wry',
    'tauri:options': { application: app, args: ['--data-dir', dataDir] },
  });
  await session.waitFor('h1', { text: 'Dashboard', timeout: 60_000 });
  writeFileSync(path.join(outDir, 'desktop-first-paint-ms.txt'), `${Date.now() - started}\n`);
});

after(async () => {
  await session?.delete().catch(() => {});
});

test('the window opens on the dashboard with the real state of each part', async () => {
  await session.waitFor('[data-testid=card-database]', { text: /schema version 1/i });
  await session.waitFor('[data-testid=card-keychain]', { text: /OS keychain/ });
  await session.waitFor('[data-testid=card-providers]', { text: 'No AI provider yet' });
  await shot('dashboard');
});

test('navigation works by mouse and by Ctrl+1…5', async () => {
  for (const name of ['Chat', 'Trading', 'Voice', 'Settings', 'Dashboard']) {
    await session.click(await session.find(`[data-testid=nav-${name.toLowerCase()}]`));
    await session.waitFor('h1', { text: name });
  }
  await session.ctrl('2');
  await session.waitFor('h1', { text: 'Chat' });
  await shot('chat');
  await session.ctrl('5');
  await session.waitFor('h1', { text: 'Settings' });
});

test('adding a provider goes through the Tauri command path into the keychain', async () => {
  await session.click(await session.find('[data-testid=nav-settings]'));
  await session.click(await session.waitFor('[data-testid=add-provider]'));
  const form = await session.waitFor('[data-testid=provider-form]');
  assert.ok(form);
  await session.type(await session.find('[data-testid=provider-form] [name=name]'), 'Desk OpenAI');
  await session.type(await session.find('[data-testid=provider-form] [name=base_url]'), 'ftp://nope');
  await session.type(await session.find('[data-testid=provider-form] [name=model]'), 'gpt-4o-mini');
  await session.type(await session.find('[data-testid=provider-form] [name=api_key]'), KEY);
  await session.click(await session.find('[data-testid=provider-save]'));
  await session.waitFor('[data-testid=error-base_url]', { text: 'http://' });
  await shot('settings-field-error');

  await session.type(await session.find('[data-testid=provider-form] [name=base_url]'), 'https://api.openai.com/v1');
  await session.click(await session.find('[data-testid=provider-save]'));
  const row = await session.waitFor('[data-testid=provider-row]', { text: 'Desk OpenAI' });
  assert.ok(row);
  await session.waitFor('[data-testid=provider-key]', { text: /••••\s*8f11/ });
  const html = await session.execute('return document.documentElement.outerHTML');
  assert.ok(!html.includes(KEY), 'the window never shows the full key');
  await shot('settings-provider');

  assert.ok(keychainDump().includes(KEY), 'secret-tool finds the key in the keychain');
  assert.ok(!dataDirBytes(dataDir).includes(KEY), 'neither SQLite nor the logs hold the key');
});

test('a second launch hands over to the running instance and exits', async () => {
  const second = spawnSync(app, ['--data-dir', dataDir], { timeout: 20_000, env: process.env });
  assert.equal(second.error, undefined, `second instance did not exit: ${second.error}`);
  assert.equal(second.status, 0);
  // The first window still answers.
  await session.ctrl('1');
  await session.waitFor('h1', { text: 'Dashboard' });
});
