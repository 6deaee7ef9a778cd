// Trading end-to-end: the Trading screen in Debian's Chromium, driven by
// playwright-core, against a real jarvisd (paper broker) on loopback.
//   JARVIS_BIN_DIR=$PWD/target/debug scripts/lib/keychain-session node --test tests/e2e/trading.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { api, outDir, ownerToken, requireUi, startJarvisd, tempDir } from './harness.mjs';

const { chromium } = requireUi('playwright-core');

/**
 * Daily OHLCV bars as CSV: a slow sine wave (period ~75 bars) plus a small
 * deterministic random walk, so SMA(10) crosses SMA(20) several times.
 */
export function generateBarsCsv({ bars = 300, start = '2024-01-01', base = 100, seed = 42 } = {}) {
  let state = seed >>> 0;
  const rand = () => {
    // LCG (Numerical Recipes): deterministic, no dependency.
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const day0 = Date.parse(`${start}T00:00:00Z`);
  const rows = ['Date,Open,High,Low,Close,Volume'];
  let prev = base;
  let drift = 0;
  for (let i = 0; i < bars; i++) {
    drift += (rand() - 0.5) * 0.6;
    const close = base + 15 * Math.sin(i / 12) + drift;
    const open = prev;
    const high = Math.max(open, close) + rand() * 0.8;
    const low = Math.min(open, close) - rand() * 0.8;
    const volume = 800_000 + Math.floor(rand() * 400_000);
    const date = new Date(day0 + i * 86_400_000).toISOString().slice(0, 10);
    rows.push([date, open.toFixed(2), high.toFixed(2), low.toFixed(2), close.toFixed(2), volume].join(','));
    prev = close;
  }
  return `${rows.join('\n')}\n`;
}

let dataDir;
let server;
let token;
let browser;
let page;
let backtestCsv;
let replayCsv;

before(async () => {
  dataDir = tempDir('jarvis-e2e-trading-');
  server = await startJarvisd(dataDir);
  token = ownerToken(dataDir);
  const files = tempDir('jarvis-e2e-trading-csv-');
  backtestCsv = path.join(files, 'backtest-300-days.csv');
  replayCsv = path.join(files, 'aapl-30-days.csv');
  writeFileSync(backtestCsv, generateBarsCsv());
  writeFileSync(replayCsv, generateBarsCsv({ bars: 30, start: '2025-03-03', seed: 7 }));
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
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url);
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function shot(name, { fullPage = true } = {}) {
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage });
}

test('the generated CSV makes SMA(10) and SMA(20) cross several times', () => {
  const closes = generateBarsCsv()
    .trim()
    .split('\n')
    .slice(1)
    .map((row) => Number(row.split(',')[4]));
  assert.equal(closes.length, 300);
  const sma = (n, i) => closes.slice(i - n + 1, i + 1).reduce((a, b) => a + b, 0) / n;
  let crosses = 0;
  for (let i = 20; i < closes.length; i++) {
    if (Math.sign(sma(10, i) - sma(20, i)) !== Math.sign(sma(10, i - 1) - sma(20, i - 1))) crosses++;
  }
  assert.ok(crosses >= 4, `only ${crosses} crosses`);
  assert.ok(Math.min(...closes) > 0);
});

test('Ctrl+3 opens Trading: paper account, kill switch off', async () => {
  await page.keyboard.press('Control+3');
  await page.getByRole('heading', { level: 1, name: 'Trading' }).waitFor();
  assert.equal(await page.getByTestId('account-broker').textContent(), 'paper');
  await page.getByTestId('kill-switch-state').and(page.locator('[data-engaged="false"]')).waitFor();
  assert.match(await page.getByTestId('account-equity').innerText(), /^\d{1,3}(,\d{3})*\.\d{2}$/);
});

test('a backtest over 300 generated bars shows stats and trades', async () => {
  const form = page.getByTestId('backtest-form');
  await form.getByTestId('backtest-strategy').and(page.locator('select:not([disabled])')).waitFor();
  assert.equal(await form.getByTestId('backtest-strategy').inputValue(), 'sma-cross');
  assert.equal(await form.getByTestId('backtest-param-fast').inputValue(), '10');
  assert.equal(await form.getByTestId('backtest-param-slow').inputValue(), '20');
  await form.getByTestId('backtest-file').setInputFiles(backtestCsv);
  await form.getByTestId('backtest-run').click();
  const stats = page.getByTestId('backtest-stats');
  await stats.waitFor({ timeout: 30_000 });
  assert.match(await stats.getByTestId('stat-return').innerText(), /^-?[\d,]+\.\d{2}%$/);
  const trades = Number(await stats.getByTestId('stat-trades').innerText());
  assert.ok(trades >= 2, `${trades} trades`);
  const rows = page.getByTestId('backtest-trades').getByTestId('backtest-trade-row');
  assert.equal(await rows.count(), trades);
  await page.getByTestId('equity-chart').locator('canvas').first().waitFor();
  await page.getByTestId('backtest').scrollIntoViewIfNeeded();
  await shot('trading-backtest', { fullPage: false });
});

test('the same backtest filled like the paper broker slips each fill and says so', async () => {
  const form = page.getByTestId('backtest-form');
  const rows = page.getByTestId('backtest-trades').getByTestId('backtest-trade-row');
  assert.equal(await page.getByTestId('backtest-fills').innerText(), 'backtesting.py fills');
  const before = await rows.first().innerText();
  await form.getByTestId('backtest-paper-fills').check();
  await form.getByTestId('backtest-run').click();
  await page.getByTestId('backtest-fills').filter({ hasText: 'paper broker fills' }).waitFor({ timeout: 30_000 });
  // Same first signal, filled 1 bp worse on the cent.
  assert.notEqual(await rows.first().innerText(), before);
  await form.getByTestId('backtest-paper-fills').uncheck();
});

test('the same backtest checked against the account\'s risk limits lists the orders they refuse', async () => {
  const limits = { max_position_value: '50000', max_order_value: '1000', max_open_orders: 20, max_orders_per_minute: 30, daily_loss_limit: '5000' };
  assert.equal((await api(server.url, token, 'PUT', '/api/v1/risk/limits', limits)).status, 200);
  const form = page.getByTestId('backtest-form');
  await form.getByTestId('backtest-risk').check();
  await form.getByTestId('backtest-run').click();
  const refused = page.getByTestId('backtest-refused');
  await refused.waitFor({ timeout: 30_000 });
  assert.match(await refused.innerText(), /Your risk limits refused \d+ orders?/);
  assert.match(await refused.getByTestId('backtest-refusal').first().innerText(), /above the limit 1000/);
  assert.equal(await page.getByTestId('backtest-stats').getByTestId('stat-trades').innerText(), '0');
  await refused.scrollIntoViewIfNeeded();
  await shot('trading-backtest-risk', { fullPage: false });
  // Back to the defaults for the paper orders below.
  const defaults = { ...limits, max_order_value: '25000' };
  assert.equal((await api(server.url, token, 'PUT', '/api/v1/risk/limits', defaults)).status, 200);
  await form.getByTestId('backtest-risk').uncheck();
});

test('a replay at speed 0 gives AAPL a price; a market buy of 5 fills and opens a position', async () => {
  const replay = page.getByTestId('replay-form');
  await replay.getByLabel('CSV file').setInputFiles(replayCsv);
  await replay.getByTestId('replay-symbol').fill('AAPL');
  await replay.getByTestId('replay-speed').fill('0');
  await replay.getByTestId('replay-start').click();
  await page.getByTestId('quote-price-AAPL').waitFor({ timeout: 15_000 });
  await page.getByTestId('replay-row').and(page.locator('[data-running="false"]')).waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('replay-progress').innerText(), '30/30');
  // The chart shows the replayed bars.
  await page.getByTestId('price-chart').locator('canvas').first().waitFor();
  await page.getByTestId('chart-legend').getByText('30 bars').waitFor({ timeout: 10_000 });

  await page.getByTestId('order-symbol').fill('AAPL');
  await page.getByTestId('order-side-buy').check();
  await page.getByTestId('order-type').selectOption('market');
  await page.getByTestId('order-qty').fill('5');
  await page.getByTestId('order-submit').click();
  const result = page.getByTestId('order-result');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-state'), 'filled', await result.innerText());
  assert.match(await result.innerText(), /^Buy 5 AAPL: filled \(5 of 5 at [\d,]+\.\d+\)$/);
  const position = page.getByTestId('position-row').and(page.locator('[data-symbol="AAPL"]'));
  await position.waitFor({ timeout: 10_000 });
  assert.equal(await position.getByTestId('position-qty').innerText(), '5');
  await page.getByTestId('fill-row').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('trading');
  await shot('trading-viewport', { fullPage: false });

  const positions = await api(server.url, token, 'GET', '/api/v1/positions');
  assert.equal(positions.json.find((p) => p.symbol === 'AAPL')?.qty, '5');
});

test('with the kill switch engaged an order is refused naming kill_switch', async () => {
  await page.getByTestId('kill-switch-engage').click();
  await page.getByTestId('kill-switch-state').and(page.locator('[data-engaged="true"]')).waitFor();
  await page.getByTestId('order-qty').fill('1');
  await page.getByTestId('order-submit').click();
  const refusal = page.getByTestId('order-error');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /^Refused by risk check kill_switch: /);
  assert.equal(await refusal.getAttribute('data-check'), 'kill_switch');
  const account = await api(server.url, token, 'GET', '/api/v1/account');
  assert.equal(account.json.kill_switch, true);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('trading-kill-switch', { fullPage: false });
});

test('the audit trail lists the steps and its chain verifies intact', async () => {
  const audit = page.getByTestId('audit');
  await audit.getByTestId('audit-refresh').click();
  await audit.locator('[data-testid="audit-row"][data-kind="kill_switch"]').first().waitFor({ timeout: 10_000 });
  assert.ok((await audit.locator('[data-testid="audit-row"][data-kind="order_accepted"]').count()) >= 1);
  await audit.getByTestId('audit-verify').click();
  const verified = page.getByTestId('audit-verify-result');
  await verified.waitFor();
  assert.match(await verified.innerText(), /^Chain intact: \d+ entries checked\.$/);
  await audit.scrollIntoViewIfNeeded();
  await shot('trading-audit', { fullPage: false });
});

test('re-arming asks first, then orders are accepted again', async () => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.getByTestId('kill-switch-rearm').click();
  await page.getByTestId('kill-switch-rearm-confirm').click();
  await page.getByTestId('kill-switch-state').and(page.locator('[data-engaged="false"]')).waitFor();
  await page.getByTestId('order-side-sell').check();
  await page.getByTestId('order-qty').fill('5');
  await page.getByTestId('order-submit').click();
  await page.getByTestId('order-result').and(page.locator('[data-state="filled"]')).waitFor();
  await page.getByTestId('positions-empty').or(page.getByTestId('position-row').getByTestId('position-qty').getByText('0', { exact: true })).first().waitFor({ timeout: 10_000 });
});

test('the screen follows the dark theme, charts included', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => window.scrollTo(0, 0));
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgb(18, 20, 23)');
  await shot('trading-dark', { fullPage: false });
  await page.emulateMedia({ colorScheme: 'light' });
});
