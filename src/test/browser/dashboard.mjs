// Drives the operators' dashboard in Debian's headless Chromium (playwright-core, no downloaded
// browser), as an operator would: a wrong token first, then the right one; reads the status tiles,
// the running table, throughput and breakers; clicks Retry on an account's dead letters and waits
// for them to go; opens the dirty account's letters to see its reason shown as text. Run by
// DashboardBrowserTest, which prepared the accounts and checks PostgreSQL afterwards.
//
// DASHBOARD_TEST (JSON): baseUrl, token, chromium, retryAccount, retryOpen, runningAccount,
// dirtyAccount, dirtyReason, counts {status: n}, screenshot, beforeScreenshot, committedScreenshot?
// Exit 0 when every check passed, 1 (with the reason on stderr) otherwise.
import {chromium} from 'playwright-core';
import {copyFile, mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';

const cfg = JSON.parse(process.env.DASHBOARD_TEST);
const RUNNING = ['migrating', 'channels_only', 'recent_messages_only'];
const PHASES = ['channels', 'recent messages', 'older messages', 'catch up', 'done'];

const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Polls fn until it returns a truthy value; its last failure is the error. */
async function eventually(what, fn, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = new Error('not yet');
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${last && last.message})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const cellTexts = (row) => row.locator('td').allTextContents();
const number = (s) => Number(String(s).replace(/[^0-9.]/g, ''));

const userDataDir = await mkdtemp(join(tmpdir(), 'dashboard-chromium-'));
let context;
let page;
const problems = [];
try {
  // Debian's chromium, a fresh profile; the background-networking flags keep it off the (closed) network
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: cfg.chromium,
    headless: true,
    viewport: {width: 1280, height: 900},
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    // a refused token is expected once (401); anything else logged as an error is a fault of the page
    if (m.type() === 'error' && !/401/.test(m.text())) problems.push('console error: ' + m.text());
  });

  log('open', cfg.baseUrl + '/dashboard/');
  const response = await page.goto(cfg.baseUrl + '/dashboard/');
  check(response.status() === 200, 'the page answered ' + response.status());
  check(/script-src 'self'/.test(response.headers()['content-security-policy'] || ''),
    'no CSP on the page: ' + JSON.stringify(response.headers()));
  check(await page.locator('#login').isVisible(), 'the sign-in form is not shown first');

  log('a wrong token is refused');
  await page.fill('#token', 'not-the-admin-token-0000');
  await page.click('#token-submit');
  await eventually('the refusal', async () => (await page.textContent('#error')).includes('refused'));
  check(await page.locator('#login').isVisible(), 'a refused token left the sign-in form');
  check(await page.evaluate(() => sessionStorage.length) === 0, 'a refused token stayed in session storage');

  log('sign in');
  await page.fill('#token', cfg.token);
  await page.click('#token-submit');
  await page.waitForSelector('#board:not([hidden])');
  check(!page.url().includes(cfg.token), 'the token is in the URL');
  check(await page.evaluate(() => document.cookie) === '', 'the page set a cookie');
  check(await page.evaluate(() => localStorage.length) === 0, 'the page wrote to local storage');

  log('status tiles');
  const tile = (s) => page.locator(`#statuses [data-status="${s}"] .count`);
  await eventually('the status counts', async () => {
    for (const [status, n] of Object.entries(cfg.counts)) {
      const shown = number(await tile(status).textContent());
      if (shown !== n) throw new Error(`${status} shows ${shown}, expected ${n}`);
    }
    let running = 0;
    for (const s of RUNNING) running += number(await tile(s).textContent());
    if (running !== 1) throw new Error(`${running} running, expected 1`);
    return true;
  });

  log('running table');
  const runningRow = page.locator(`#running tbody tr[data-account-id="${cfg.runningAccount}"]`);
  const running = await eventually('the running account with messages, a phase, an ETA and its lease owner', async () => {
    const [id, status, phase, threads, messages, , , eta, owner] = await cellTexts(runningRow);
    if (id !== cfg.runningAccount) throw new Error('id cell ' + id);
    if (!RUNNING.includes(status.replace(/ /g, '_'))) throw new Error('status ' + status);
    if (!PHASES.includes(phase)) throw new Error('phase ' + phase);
    if (!(number(messages) > 0)) throw new Error('messages ' + messages);
    if (!/^[\d,]+ \/ [\d,]+$/.test(threads)) throw new Error('threads ' + threads);
    if (!/\d+ (s|min|h)/.test(eta)) throw new Error('eta ' + eta);
    if (!owner.startsWith('migrator-')) throw new Error('lease owner ' + owner);
    return {status, phase, threads, messages, eta, owner};
  }, 60_000);
  log('  ', JSON.stringify(running));
  check(await page.locator(`#running tbody tr[data-account-id="${cfg.runningAccount}"] progress`).count() === 1,
    'no progress bar for a run whose thread total is known');

  log('throughput and breakers');
  await eventually('a live throughput above zero', async () => number(await page.textContent('#rate')) > 0, 30_000);
  check(await page.locator('#spark rect').count() > 0, 'no throughput bars');
  check(await page.textContent('#breaker-conversations') === 'CLOSED', 'conversations breaker: '
    + await page.textContent('#breaker-conversations'));
  check(await page.textContent('#breaker-media') === 'CLOSED', 'media breaker: ' + await page.textContent('#breaker-media'));
  check(await page.textContent('#dynamodb') === 'UP', 'dynamodb: ' + await page.textContent('#dynamodb'));

  log('dead-letter table');
  const retryRow = page.locator(`#dead-letters tbody tr[data-account-id="${cfg.retryAccount}"]`);
  await eventually('the retry account with its open letters', async () =>
    number(await retryRow.locator('td.open').textContent()) === cfg.retryOpen);
  // the dirty id is matched by its text, not through a selector: it is markup-like on purpose
  const dirtyRow = page.locator('#dead-letters tbody tr').filter({
    has: page.locator('td.id', {hasText: cfg.dirtyAccount})});
  check(await dirtyRow.count() === 1, 'the dirty account is not listed once');
  check(await dirtyRow.locator('td.id').textContent() === cfg.dirtyAccount, 'the dirty id is not shown as text');
  check(await page.locator('main img, main script, main b').count() === 0, 'data became markup');
  await mkdir(dirname(cfg.beforeScreenshot), {recursive: true});
  await page.screenshot({path: cfg.beforeScreenshot, fullPage: true});

  log('retry', cfg.retryAccount);
  await retryRow.locator('button.retry').click();
  await eventually('the retry answer', async () => /accepted/.test(await page.textContent('#retry-result')), 20_000);
  log('  ', await page.textContent('#retry-result'));
  await eventually('the dead letters of the retried account to go', async () => await retryRow.count() === 0, 90_000);
  check(await dirtyRow.count() === 1, 'the dirty account left the list without a retry');

  log('the dirty account\'s letters');
  await dirtyRow.locator('button.show').click();
  await page.waitForSelector('#letters:not([hidden])');
  check(await page.textContent('#letters-account') === cfg.dirtyAccount, 'letters of the wrong account');
  const reasons = await page.locator('#letters-body td.reason').allTextContents();
  check(reasons.includes(cfg.dirtyReason), 'the dirty reason is not shown as text: ' + JSON.stringify(reasons));
  check(await page.evaluate(() => window.__pwned === undefined), 'a value from the data ran as script');
  check(await page.locator('main img, main script, main b').count() === 0, 'data became markup');

  await page.screenshot({path: cfg.screenshot, fullPage: true});
  log('screenshot', cfg.screenshot);
  if (cfg.committedScreenshot) {
    await mkdir(dirname(cfg.committedScreenshot), {recursive: true});
    await copyFile(cfg.screenshot, cfg.committedScreenshot);
    log('screenshot', cfg.committedScreenshot);
  }
  check(problems.length === 0, problems.join('; '));
  log('ok');
} catch (e) {
  console.error('FAILED:', e.message);
  if (page) {
    // what the page showed when a check failed, beside the log
    const shot = join(dirname(cfg.screenshot), 'dashboard-failure.png');
    await page.screenshot({path: shot, fullPage: true}).then(() => console.error('screenshot', shot), () => {});
  }
  if (problems.length) console.error('page problems:', problems.join('; '));
  process.exitCode = 1;
} finally {
  if (context) await context.close().catch(() => {});
  await rm(userDataDir, {recursive: true, force: true}).catch(() => {});
}
