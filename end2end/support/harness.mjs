// Starts the real stoa server and a Chromium for one test file.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..', '..');
const bin = process.env.STOA_BIN || join(root, 'target', 'debug', 'stoa');

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
}

/** Starts `stoa serve` on 127.0.0.1:0 with a fresh SQLite file and the demo data. */
export async function startStoa() {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-e2e-'));
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${join(dir, 'stoa.db')}`,
    STOA_LISTEN: '127.0.0.1:0',
    STOA_SITE_ROOT: join(root, 'target', 'site'),
    STOA_LOG_FORMAT: 'json',
    STOA_SHUTDOWN_TIMEOUT_SECS: '5',
  };
  execFileSync(bin, ['seed', '--demo'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs = [];
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`stoa did not start in 20 s:\n${logs.join('')}`)), 20_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      logs.push(chunk);
      for (const line of chunk.split('\n')) {
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
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches headless Chromium with the flags this sandbox needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: process.env.E2E_HEADED !== '1',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
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
    problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
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
