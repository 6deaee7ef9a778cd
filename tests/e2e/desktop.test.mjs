// The real Jarvis window (Tauri + WebKitGTK under Xvfb) driven over WebDriver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { binDir, dataDirBytes, keychainDump, outDir, ownerToken, sharedDir, tempDir } from './harness.mjs';
import { Session, sleep } from './webdriver.mjs';
import { ANSWER, startFakeProvider } from './fake-provider.mjs';

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
  await session.waitFor('[data-testid=card-database]', { text: /schema version (\d+) of \1\b/i });
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

test('Settings turns the in-process server on, the browser API answers, and off again', async () => {
  const net = await import('node:net');
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  await session.ctrl('5');
  await session.waitFor('h1', { text: 'Settings' });
  const listen = await session.find('[data-testid=server-form] [name=listen]');
  await session.type(listen, `127.0.0.1:${port}`);
  await session.click(await session.find('[data-testid=server-toggle]'));
  await session.click(await session.find('[data-testid=server-save]'));
  await session.waitFor('[data-testid=server-url]', { text: `127.0.0.1:${port}` });
  const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
  assert.equal(health.server.running, true);
  assert.equal(health.server.managed_by, 'desktop');
  assert.equal(health.providers.count, 1);

  // A change made through the server reaches the window as a Tauri event.
  const token = ownerToken(dataDir);
  const added = await fetch(`http://127.0.0.1:${port}/api/v1/providers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Via API', kind: 'openai', base_url: 'http://127.0.0.1:8080/v1', model: 'qwen' }),
  });
  assert.equal(added.status, 201);
  await session.waitFor('[data-testid=provider-row]', { text: 'Via API' });
  await shot('settings-server-on');

  await session.click(await session.find('[data-testid=server-toggle]'));
  await session.click(await session.find('[data-testid=server-save]'));
  await session.waitFor('[data-testid=server-status]', { text: /off|stopped/i });
  await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'the port is closed again');
});

test('chat through the Tauri commands: it streams, Stop keeps the text, search finds it, a new conversation recalls it', async () => {
  const fake = await startFakeProvider();
  try {
    await session.ctrl('5');
    await session.click(await session.waitFor('[data-testid=add-provider]'));
    await session.waitFor('[data-testid=provider-form]');
    await session.type(await session.find('[data-testid=provider-form] [name=name]'), 'Fake');
    await session.type(await session.find('[data-testid=provider-form] [name=base_url]'), `${fake.url}/v1`);
    await session.type(await session.find('[data-testid=provider-form] [name=model]'), 'fake-model');
    await session.click(await session.find('[data-testid=provider-save]'));
    await session.waitFor('[data-testid=provider-row]', { text: 'Fake' });

    await session.ctrl('2');
    await session.waitFor('h1', { text: 'Chat' });
    // Choose the fake provider first (a <select>: set it as a user would, with a change event).
    await session.execute(
      `const s = document.querySelector('[data-testid=provider-picker]');
       const o = [...s.options].find((o) => o.text.includes('Fake'));
       s.value = o.value;
       s.dispatchEvent(new Event('change', { bubbles: true }));`,
    );
    await session.type(await session.find('[data-testid=chat-input]'), 'What colour is Mars?');
    await session.click(await session.find('[data-testid=chat-send]'));
    await session.waitFor('[data-testid=message][data-role=assistant][data-status=complete]', { text: ANSWER });
    await session.waitFor('[data-testid=message-provider]', { text: 'Fake' });
    await shot('chat-answer');

    await session.type(await session.find('[data-testid=chat-input]'), 'Tell me a long story');
    await session.click(await session.find('[data-testid=chat-send]'));
    await session.waitFor('[data-testid=message][data-role=assistant]', { text: 'word3' });
    await session.click(await session.find('[data-testid=chat-stop]'));
    await session.waitFor('[data-testid=message][data-role=assistant][data-status=interrupted]', { text: 'word3' });

    await session.ctrl('k');
    await session.type(await session.find('[data-testid=search-input]'), 'iron oxide');
    await session.waitFor('[data-testid=search-hit]', { text: 'iron' });
    await shot('chat-search');

    // A new conversation on the same subject recalls the earlier answer, visibly.
    await session.click(await session.find('[data-testid=new-conversation]'));
    await session.waitFor('[data-testid=messages-empty]');
    await session.type(await session.find('[data-testid=chat-input]'), 'Which colour was Mars again?');
    await session.click(await session.find('[data-testid=chat-send]'));
    await session.waitFor('[data-testid=message][data-status=complete] [data-testid=message-recalled]', { text: 'Used' });
    const lastRequest = JSON.parse(fake.requests.at(-1).body);
    assert.match(lastRequest.messages[0].content, /earlier conversations[\s\S]*iron oxide/, 'the memory reached the provider');
    await shot('chat-recall');
  } finally {
    await fake.close();
  }
});

/** "Speaks" a 16 kHz mono fixture into the virtual microphone, in real time. */
async function speak(id) {
  const fifo = process.env.JARVIS_VIRTUAL_MIC_FIFO;
  assert.ok(fifo, 'run under scripts/lib/virtual-mic (JARVIS_VIRTUAL_MIC_FIFO)');
  const wav = readFileSync(path.join(sharedDir, 'fixtures', 'voice', `${id}.wav`));
  const pcm = wav.subarray(44); // 16-bit mono 16 kHz after the RIFF header
  const fd = openSync(fifo, 'w');
  try {
    const chunk = 640; // 20 ms
    for (let i = 0; i < pcm.length; i += chunk) {
      writeSync(fd, pcm.subarray(i, i + chunk));
      await sleep(20);
    }
  } finally {
    closeSync(fd);
  }
}

function xdotool(...args) {
  const r = spawnSync('xdotool', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `xdotool ${args.join(' ')}: ${r.stderr}`);
}

test('holding Ctrl+Alt+Space records a spoken command in the real window', async () => {
  await session.click(await session.find('[data-testid=nav-voice]'));
  await session.waitFor('h1', { text: 'Voice' });
  xdotool('keydown', 'ctrl+alt+space');
  await session.waitFor('[data-testid=voice-state]', { text: /listening/i });
  await speak('buy_aapl');
  await sleep(400); // through PulseAudio and ALSA
  xdotool('keyup', 'ctrl+alt+space');
  await session.waitFor('[data-testid=voice-run]', { text: /buy/i, timeout: 30_000 });
  await session.waitFor('[data-testid=voice-run]', { text: /AAPL/ });
  await session.waitFor('[data-testid=voice-state]', { text: /idle|ready/i, timeout: 15_000 });
  await shot('voice-hotkey');
});

test('a second launch hands over to the running instance and exits', async () => {
  const second = spawnSync(app, ['--data-dir', dataDir], { timeout: 20_000, env: process.env });
  assert.equal(second.error, undefined, `second instance did not exit: ${second.error}`);
  assert.equal(second.status, 0);
  // The first window still answers.
  await session.ctrl('1');
  await session.waitFor('h1', { text: 'Dashboard' });
});
