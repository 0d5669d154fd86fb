// Starts the real stoa server and a Chromium for one test file.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { after, before } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');
const bin = process.env.STOA_BIN || join(root, 'target', 'debug', 'stoa');

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
}

async function freePort() {
  return new Promise((resolvePort) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * The run's log folder (`STOA_TEST_LOG_DIR`, set by scripts/test.sh; else
 * target/test-logs/adhoc). Every `stoa` these tests start logs there in full, and the secrets
 * the harness hands it are listed there, for the log-hygiene scan after the suite
 * (server/tests/log_hygiene.rs).
 */
function logDir() {
  const dir = process.env.STOA_TEST_LOG_DIR || join(root, 'target', 'test-logs', 'adhoc');
  mkdirSync(dir, { recursive: true });
  return dir;
}
let started = 0;

/** Records a value the logs must never contain. */
function rememberSecret(value) {
  if (value) appendFileSync(join(logDir(), `secrets-e2e-${process.pid}.txt`), `${value}\n`);
}

/** The test peers' addresses (set by `scripts/peers.sh start`, which `make test` runs). */
export function peers() {
  const { STOA_TEST_OIDC_ISSUER: issuer, STOA_TEST_SMTP_URL: smtp, STOA_TEST_MAILDEV_URL: maildev } = process.env;
  if (!issuer || !smtp || !maildev) {
    throw new Error('start the test peers first: eval "$(scripts/peers.sh start)" (make test does it)');
  }
  return { issuer, smtp, maildev };
}

/**
 * Starts `stoa serve` on a free port with a fresh SQLite file and the demo data. With
 * `signIn`, it is wired to the test OpenID provider (a client registered for its port) and
 * to the mail catcher.
 */
export async function startStoa({ signIn = false, database = 'sqlite', hubs = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-e2e-'));
  // PostgreSQL: a fresh database on the server the Rust tests use, dropped in stop().
  const pgServer = process.env.STOA_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const pgName = `stoa_e2e_${process.pid}_${Date.now()}`;
  const psql = (sql) => execFileSync('psql', [pgServer, '-qc', sql], { stdio: ['ignore', 'ignore', 'pipe'] });
  let databaseUrl = `sqlite://${join(dir, 'stoa.db')}`;
  const extraKey = {};
  if (database === 'postgres') {
    psql(`CREATE DATABASE ${pgName}`);
    databaseUrl = pgServer.replace(/\/[^/]*$/, `/${pgName}`);
    // PostgreSQL needs the key hub-login secrets are sealed with (SQLite makes a key file).
    extraKey.STOA_SECRET_KEY = randomBytes(32).toString('hex');
    rememberSecret(extraKey.STOA_SECRET_KEY);
  }
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const extra = {};
  if (signIn) {
    const { issuer, smtp } = peers();
    const reg = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [`${publicUrl}/auth/callback`], grant_types: ['authorization_code'],
        response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }),
    });
    if (reg.status !== 201) throw new Error(`client registration failed: ${reg.status}`);
    const client = await reg.json();
    rememberSecret(client.client_secret);
    const config = join(dir, 'stoa.toml');
    writeFileSync(config, `[[oidc_providers]]\nid = "test"\ndisplay_name = "Test University"\n`
      + `issuer_url = "${issuer}"\nclient_id = "${client.client_id}"\n`
      // The test provider reports verified addresses it derives from the login.
      + 'trust_email = true\n');
    Object.assign(extra, { STOA_CONFIG: config, STOA_OIDC_TEST_CLIENT_SECRET: client.client_secret, STOA_SMTP_URL: smtp });
  }
  if (hubs) {
    // Real hubs (local backend) in this run's folder, on ports the system gives; stopped
    // with `stoa hubs halt` in stop().
    const config = extra.STOA_CONFIG || join(dir, 'stoa.toml');
    appendFileSync(config, `\n[hubs.local]\nhubs_dir = "${join(dir, 'hubs')}"\nports = [0, 0]\n`
      + `python_env = "${join(root, 'target', 'hub-venv')}"\n`
      + `proxy_command = "${join(root, 'node_modules', '.bin', 'configurable-http-proxy')}"\n`
      + 'start_timeout_seconds = 120\n');
    extra.STOA_CONFIG = config;
  }
  const env = {
    ...process.env,
    ...extra,
    ...extraKey,
    DATABASE_URL: databaseUrl,
    STOA_LISTEN: `127.0.0.1:${port}`,
    STOA_PUBLIC_URL: publicUrl,
    STOA_SITE_ROOT: join(root, 'target', 'site'),
    STOA_LOG_FORMAT: 'json',
    STOA_SHUTDOWN_TIMEOUT_SECS: '5',
    // Everything Stoa's own crates log, for the log-hygiene scan (the tests read only the
    // startup line).
    // Same filter as the in-process test servers (server/tests/api/helpers.rs).
    STOA_LOG_FILTER: 'debug,stoa_server=trace,stoa_app=trace,stoa_auth=trace,stoa_db=trace,'
      + 'hyper=info,hyper_util=info,h2=info,rustls=info',
  };
  delete env.RUST_LOG; // it would override STOA_LOG_FILTER
  const logFile = join(logDir(), `e2e-${process.pid}-${++started}.log`);
  const seeded = spawnSync(bin, ['seed', '--demo'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  appendFileSync(logFile, seeded.stderr ?? '');
  if (seeded.status !== 0) throw new Error(`stoa seed --demo failed (${seeded.status ?? seeded.error}):\n${seeded.stderr}`);
  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs = [];
  child.stderr.on('data', (chunk) => appendFileSync(logFile, chunk));
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`stoa did not start in 20 s:\n${logs.join('')}`)), 20_000);
    child.stderr.setEncoding('utf8');
    // Chunks end anywhere, also inside a line (the debug-level log is long): only whole
    // lines are parsed.
    let partial = '';
    child.stderr.on('data', (chunk) => {
      logs.push(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line);
        if (event.address) {
          clearTimeout(timer);
          resolvePromise(`http://${event.address}`);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`stoa exited with ${code}:\n${logs.join('')}`)));
  });
  return {
    url,
    logs,
    /** Runs a `stoa` command (e.g. `['staff', 'add', email]`) on this server's database. */
    cli(args) {
      const run = spawnSync(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      appendFileSync(logFile, run.stderr ?? '');
      if (run.status !== 0) throw new Error(`stoa ${args[0]} failed (${run.status ?? run.error}):\n${run.stderr}`);
      return run.stdout;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      // Hubs outlive Stoa on purpose; a test run's go with it.
      if (hubs) spawnSync(bin, ['hubs', 'halt'], { env, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
      if (database === 'postgres') psql(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
    },
  };
}

/**
 * Signs `email` in on `context` through the real email-link flow (the mail catcher holds
 * the link), with or without JavaScript. Waits for a mail sent after the request, so earlier
 * links to the same address are never picked.
 */
export async function signInByEmail(context, baseUrl, email) {
  const page = await context.newPage();
  const inbox = async () => (await fetch(`${peers().maildev}/api/email`)).json();
  const before = new Set((await inbox()).map((m) => m.id));
  await page.goto(`${baseUrl}/signin`);
  await page.fill('input[name="email"]', email);
  await Promise.all([page.waitForURL(/\/signin\/email-sent$/), page.getByRole('button', { name: 'Email me a sign-in link' }).click()]);
  let link;
  for (let i = 0; i < 150 && !link; i++) {
    const mail = (await inbox()).reverse().find((m) => !before.has(m.id) && m.to.some((t) => t.address === email));
    link = mail?.text.match(/https?:\/\/\S+/)?.[0];
    if (!link) await new Promise((r) => setTimeout(r, 100));
  }
  if (!link) throw new Error('the sign-in mail did not arrive in 15 s');
  await page.goto(link);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/signin')), page.getByRole('button', { name: `Sign in as ${email}` }).click()]);
  await page.close();
}

/**
 * Signs a new account in at the test OpenID provider (any password) in a new context of
 * `browser`, with or without JavaScript; returns its watched page, on the dashboard.
 */
export async function signInAtProvider(browser, baseUrl, login, { javaScript = true } = {}) {
  const context = await browser.newContext({ javaScriptEnabled: javaScript });
  const page = await watchedPage(context);
  await page.goto(`${baseUrl}/signin?next=/dashboard`);
  await page.getByRole('button', { name: 'Continue with Test University' }).click();
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'anything');
  await page.click('button[type="submit"]');
  await page.waitForURL(`${baseUrl}/dashboard`);
  return page;
}

/**
 * Clicks a submit button and waits for the page it leads to. Forms are plain HTML forms
 * (Post/Redirect/Get), with JavaScript too, so each submission loads a page.
 */
export async function submit(locator) {
  await Promise.all([locator.page().waitForEvent('load'), locator.click()]);
}

/**
 * Starts Stoa (`options` as for `startStoa`) and Chromium before a test file's tests and stops
 * both after them. The returned object's `stoa` and `browser` are set once the tests run.
 */
export function useStoaAndBrowser(options) {
  const env = {};
  before(async () => {
    env.stoa = await startStoa(options);
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.stoa?.stop();
  });
  return env;
}

/** Launches headless Chromium with the flags this sandbox needs. */
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: process.env.E2E_HEADED !== '1',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  // Every cookie the browser held (Stoa's session ids among them) is a value the logs must
  // not contain: listed for the log-hygiene scan when a context or the browser closes.
  const rememberCookies = async (context) => {
    for (const cookie of await context.cookies().catch(() => [])) rememberSecret(cookie.value);
  };
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    const close = context.close.bind(context);
    context.close = async (...a) => {
      await rememberCookies(context);
      return close(...a);
    };
    return context;
  };
  const closeBrowser = browser.close.bind(browser);
  browser.close = async (...a) => {
    for (const context of browser.contexts()) await rememberCookies(context);
    return closeBrowser(...a);
  };
  return browser;
}

/**
 * A page that records console errors, page errors and CSP violations; `problems()` returns
 * them all so a test can assert there were none.
 */
export async function watchedPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // A document served with an error status (the 404 page) is reported as a failed load.
    if (msg.text().startsWith('Failed to load resource') && msg.location().url === page.url()) return;
    problems.push(`console: ${msg.text()} @ ${msg.location().url || page.url()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message} @ ${page.url()}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window.__cspViolations ||= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.problems = async () => {
    const csp = await page.evaluate(() => window.__cspViolations || []).catch(() => []);
    return [...problems, ...csp.map((v) => `csp: ${v}`)];
  };
  return page;
}
