// Browser end-to-end: Debian's Chromium, driven by playwright-core, against a
// real jarvisd on loopback with a real keychain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ANSWER, startFakeProvider } from './fake-provider.mjs';
import {
  api,
  dataDirBytes,
  keychainDump,
  outDir,
  ownerToken,
  requireUi,
  startJarvisd,
  tempDir,
} from './harness.mjs';

const { chromium } = requireUi('playwright-core');

const KEY = 'sk-e2e-browser-4f9c2a7d1b3e5f60a8c9';
let dataDir;
let server;
let token;
let browser;
let fake;

before(async () => {
  dataDir = tempDir('jarvis-e2e-browser-');
  server = await startJarvisd(dataDir);
  fake = await startFakeProvider();
  token = ownerToken(dataDir);
  writeFileSync(path.join(outDir, 'jarvisd-startup-ms.txt'), `${server.startupMs}\n`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // playwright gives each launch a fresh, empty profile directory.
    ],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.close();
});

async function signIn(page) {
  await page.goto(server.url);
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
}

async function shot(page, name) {
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(outDir, `browser-${name}.png`), fullPage: true });
}

test('/health answers without a credential; the API does not', async () => {
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  const body = await health.json();
  assert.equal(body.database.status, 'ok');
  assert.equal(body.database.path, null, 'the public health route hides paths');
  assert.equal(body.server.running, true);
  const denied = await fetch(`${server.url}/api/v1/providers`);
  assert.equal(denied.status, 401);
  // fetch() may not set Host, so ask as a DNS-rebinding page would, with node:http.
  const rebindingStatus = await new Promise((resolve, reject) => {
    const req = http.get(`${server.url}/health`, { headers: { host: 'evil.example' } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
  });
  assert.equal(rebindingStatus, 403);
});

test('a wrong token is refused at sign-in, the right one opens the dashboard', async () => {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.getByTestId('login-token').fill('not-the-token');
  await page.getByTestId('login-submit').click();
  await page.getByText('That token was not accepted').waitFor();
  await shot(page, 'sign-in');
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await page.getByText('No AI provider yet').first().waitFor();
  await shot(page, 'dashboard');
  await page.close();
});

test('every screen is reachable by mouse and by Ctrl+1…5', async () => {
  const page = await browser.newPage();
  await signIn(page);
  const screens = ['Dashboard', 'Chat', 'Trading', 'Voice', 'Settings'];
  for (const name of screens) {
    await page.getByTestId(`nav-${name.toLowerCase()}`).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
    await shot(page, name.toLowerCase());
  }
  for (const [i, name] of screens.entries()) {
    await page.keyboard.press(`Control+${i + 1}`);
    await page.getByRole('heading', { level: 1, name }).waitFor();
    assert.equal(await page.getByTestId(`nav-${name.toLowerCase()}`).getAttribute('aria-current'), 'page');
  }
  await page.keyboard.press('Control+2');
  await page.getByText('No AI provider yet').first().waitFor();
  await page.close();
});

test('adding a provider: field errors, a masked key, kept after reload, key only in the keychain', async () => {
  const page = await browser.newPage();
  await signIn(page);
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('add-provider').click();
  const form = page.getByTestId('provider-form');
  await form.locator('[name=name]').fill('Claude');
  await form.locator('[name=kind]').selectOption('anthropic');
  await form.locator('[name=base_url]').fill('not a url');
  await form.locator('[name=model]').fill('claude-sonnet-4-5');
  await form.locator('[name=api_key]').fill(KEY);
  await page.getByTestId('provider-save').click();
  const fieldError = page.getByTestId('error-base_url');
  await fieldError.waitFor();
  assert.match(await fieldError.innerText(), /valid URL/);
  assert.equal(await form.locator('[name=base_url]').getAttribute('aria-invalid'), 'true');
  await shot(page, 'settings-field-error');

  await form.locator('[name=base_url]').fill('https://api.anthropic.com');
  await page.getByTestId('provider-save').click();
  const row = page.getByTestId('provider-row').filter({ hasText: 'Claude' });
  await row.waitFor();
  assert.match(await row.getByTestId('provider-key').innerText(), /••••\s*a8c9/);
  assert.ok(!(await page.content()).includes(KEY), 'the page never shows the full key');
  await shot(page, 'settings-provider');

  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
  await page.getByTestId('provider-row').filter({ hasText: 'Claude' }).waitFor();

  // Where the key is, and where it is not.
  assert.ok(keychainDump().includes(KEY), 'secret-tool finds the key in the keychain');
  assert.ok(!dataDirBytes(dataDir).includes(KEY), 'the SQLite file (and WAL) never holds the key');
  assert.ok(!server.logs().includes(KEY), 'the logs never hold the key');
  const list = await api(server.url, token, 'GET', '/api/v1/providers');
  assert.equal(list.status, 200);
  assert.ok(!list.text.includes(KEY), 'API responses never hold the key');
  assert.equal(list.json[0].key_hint, 'a8c9');
  await page.close();
});

test('two open UIs stay in step through the event socket', async () => {
  const watcher = await browser.newPage();
  await signIn(watcher);
  await watcher.getByTestId('nav-settings').click();
  await watcher.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
  await watcher.waitForTimeout(500); // let the WebSocket connect
  const added = await api(server.url, token, 'POST', '/api/v1/providers', {
    name: 'Local Ollama',
    kind: 'openai',
    base_url: 'http://127.0.0.1:11434/v1',
    model: 'llama3.2:1b',
  });
  assert.equal(added.status, 201, added.text);
  await watcher.getByTestId('provider-row').filter({ hasText: 'Local Ollama' }).waitFor({ timeout: 10_000 });
  const removed = await api(server.url, token, 'DELETE', `/api/v1/providers/${added.json.id}`);
  assert.equal(removed.status, 204);
  await watcher
    .getByTestId('provider-row')
    .filter({ hasText: 'Local Ollama' })
    .waitFor({ state: 'detached', timeout: 10_000 });
  await watcher.close();
});

test('the API answers bad input with 4xx and a field, never 500', async () => {
  const bad = [
    ['{"name":', 400, 'invalid_json', undefined],
    [{ name: 'x', kind: 'openai', base_url: 'http://h', model: 'm', extra: 1 }, 422, 'unknown_field', 'extra'],
    [{ name: 'x', kind: 'cohere', base_url: 'http://h', model: 'm' }, 422, 'invalid_field', 'kind'],
    [{ kind: 'openai', base_url: 'http://h', model: 'm' }, 422, 'missing_field', 'name'],
    [{ name: 'x', kind: 'gemini', base_url: 'http://h', model: 'm' }, 422, 'invalid_field', 'api_key'],
    [{ name: 'Claude', kind: 'openai', base_url: 'http://h', model: 'm' }, 409, 'duplicate_name', 'name'],
  ];
  for (const [body, status, code, field] of bad) {
    const res = await api(server.url, token, 'POST', '/api/v1/providers', body);
    assert.equal(res.status, status, `${JSON.stringify(body)} → ${res.text}`);
    assert.equal(res.json.code, code);
    assert.equal(res.json.field, field);
  }
  const huge = await api(server.url, token, 'POST', '/api/v1/providers', JSON.stringify({ name: 'x'.repeat(100_000) }));
  assert.equal(huge.status, 413);
  const server_ = await api(server.url, token, 'PUT', '/api/v1/settings/server', { enabled: false, listen: '127.0.0.1:7878' });
  assert.equal(server_.status, 409, 'jarvisd cannot be switched off from its own API');
  assert.equal(server_.json.code, 'not_supported');
});

test('the theme follows the system: light and dark', async () => {
  const background = {};
  for (const scheme of ['light', 'dark']) {
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    await signIn(page);
    background[scheme] = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await shot(page, `dashboard-${scheme}`);
    await context.close();
  }
  assert.notEqual(background.light, background.dark);
});

test('chat: a fallback answers, the reply streams in, Stop keeps it, search finds it', async () => {
  // A provider that refuses connections, asked first, then the fake one.
  const closedPort = await new Promise((resolve) => {
    const probe = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  for (const [name, url] of [['Broken', `http://127.0.0.1:${closedPort}/v1`], ['Fake', `${fake.url}/v1`]]) {
    const res = await api(server.url, token, 'POST', '/api/v1/providers', { name, kind: 'openai', base_url: url, model: name === 'Fake' ? 'fake-model' : 'broken-model' });
    assert.equal(res.status, 201, res.text);
  }
  const page = await browser.newPage();
  await signIn(page);
  await page.keyboard.press('Control+2');
  await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor();
  const picker = page.getByTestId('provider-picker');
  const broken = await picker.locator('option', { hasText: 'Broken' }).getAttribute('value');
  await picker.selectOption(broken);

  await page.getByTestId('chat-input').fill('What colour is Mars?');
  await page.getByTestId('chat-send').click();
  const answer = page.locator('[data-testid=message][data-role=assistant]').last();
  // Watch it grow: several different partial lengths before the end.
  const lengths = new Set();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const text = (await answer.count()) ? await answer.innerText() : '';
    lengths.add(text.length);
    if ((await answer.getAttribute('data-status').catch(() => null)) === 'complete') break;
    await page.waitForTimeout(30);
  }
  assert.ok(lengths.size >= 4, `the answer streamed (saw lengths ${[...lengths]})`);
  await page.locator('[data-testid=message][data-role=assistant][data-status=complete]').filter({ hasText: ANSWER }).waitFor();
  assert.match(await answer.getByTestId('message-provider').innerText(), /Fake/, 'the fallback is visible');
  await shot(page, 'chat-answer');

  await page.getByTestId('chat-input').fill('Tell me a long story');
  await page.getByTestId('chat-send').click();
  await page.locator('[data-testid=message][data-role=assistant]').last().filter({ hasText: 'word3' }).waitFor();
  await page.getByTestId('chat-stop').click();
  const stopped = page.locator('[data-testid=message][data-role=assistant][data-status=interrupted]').last();
  await stopped.waitFor();
  const kept = await stopped.innerText();
  assert.match(kept, /word3/, 'the partial answer is kept');
  assert.doesNotMatch(kept, /word399/);
  await shot(page, 'chat-stopped');

  await page.keyboard.press('Control+K');
  const search = page.getByTestId('search-input');
  assert.equal(await search.evaluate((el) => el === document.activeElement), true, 'Ctrl+K focuses search');
  await search.fill('iron oxide');
  const hit = page.getByTestId('search-hit').first();
  await hit.waitFor();
  assert.deepEqual(
    (await hit.locator('mark').allInnerTexts()).map((t) => t.toLowerCase()),
    ['iron', 'oxide'],
  );
  await shot(page, 'chat-search');

  // A new conversation on the same subject recalls the earlier answer, visibly.
  await page.getByTestId('search-input').fill('');
  await page.getByTestId('new-conversation').click();
  await page.getByTestId('messages-empty').waitFor(); // the new, empty conversation is open
  await page.getByTestId('chat-input').fill('Which colour was Mars again?');
  await page.getByTestId('chat-send').click();
  const recalledAnswer = page.locator('[data-testid=message][data-role=assistant][data-status=complete]').last();
  const used = recalledAnswer.getByTestId('message-recalled');
  await used.waitFor({ timeout: 20_000 });
  assert.match(await used.innerText(), /Used \d+ memor/);
  await used.locator('summary').click();
  assert.match(await used.innerText(), /iron oxide/);
  const lastRequest = JSON.parse(fake.requests.at(-1).body);
  assert.match(lastRequest.messages[0].content, /earlier conversations[\s\S]*iron oxide/, 'the memory reached the provider');
  await shot(page, 'chat-recall');
  await page.close();

  // Both messages are stored and come back over the API.
  const conversations = await api(server.url, token, 'GET', '/api/v1/conversations');
  const first = conversations.json.find((c) => c.title === 'What colour is Mars?');
  const messages = await api(server.url, token, 'GET', `/api/v1/conversations/${first.id}/messages`);
  assert.deepEqual(messages.json.map((m) => [m.role, m.status]), [
    ['user', 'complete'],
    ['assistant', 'complete'],
    ['user', 'complete'],
    ['assistant', 'interrupted'],
  ]);
  const found = await api(server.url, token, 'GET', '/api/v1/search?q=iron%20oxide&limit=5');
  assert.equal(found.status, 200);
  assert.equal(found.json[0].message_id, messages.json[1].id);
});

test('Settings detects a server on Ollama\'s port and adds it in one click', async (t) => {
  let ollama;
  try {
    ollama = await startFakeProvider(11434);
  } catch (e) {
    t.skip(`port 11434 is taken here (${e.code}): cannot play Ollama`);
    return;
  }
  try {
    const page = await browser.newPage();
    await signIn(page);
    await page.keyboard.press('Control+5');
    await page.getByTestId('detect-local').click();
    const found = page.getByTestId('detected-server').filter({ hasText: 'Ollama' });
    await found.waitFor();
    assert.match(await found.innerText(), /127\.0\.0\.1:11434/);
    await shot(page, 'settings-detected');
    await found.getByTestId('detected-add').click();
    await page.getByTestId('provider-row').filter({ hasText: 'Ollama' }).filter({ hasText: 'fake-model' }).waitFor();
    const list = await api(server.url, token, 'GET', '/api/v1/providers');
    const added = list.json.find((p) => p.base_url === 'http://127.0.0.1:11434/v1');
    assert.equal(added.model, 'fake-model');
    const models = await api(server.url, token, 'GET', `/api/v1/providers/${added.id}/models`);
    assert.deepEqual(models.json, ['fake-model']);
    await page.close();
  } finally {
    await ollama.close();
  }
});

test('the official openai Python package uses Jarvis as its provider', { skip: !process.env.JARVIS_OPENAI_PYTHON && 'JARVIS_OPENAI_PYTHON is not set (scripts/test sets it)' }, async () => {
  // Asynchronously: the fake provider answers from this same process.
  const run = await promisify(execFile)(process.env.JARVIS_OPENAI_PYTHON, [path.join(import.meta.dirname, '../openai/client_test.py')], {
    env: { ...process.env, JARVIS_URL: server.url, JARVIS_TOKEN: token },
    timeout: 60_000,
  });
  const seen = JSON.parse(run.stdout.trim().split('\n').at(-1));
  assert.ok(seen.models.includes('jarvis') && seen.models.includes('fake-model'), JSON.stringify(seen.models));
  assert.equal(seen.text, ANSWER);
  assert.equal(seen.finish, 'stop');
  assert.equal(seen.streamed.join(''), ANSWER);
  assert.ok(seen.streamed.length > 3, 'streamed in pieces');
  assert.equal(seen.bad_model.code, 'invalid_field');
  assert.equal(seen.bad_model.param, 'model');
  assert.equal(seen.unauthorised, true);
});
