// Lighthouse (mobile profile, simulated throttling: Lighthouse's defaults) on Stoa's pages,
// three runs each, and a table of the medians. Figures for bench/README.md, not a gate.
//
//   node bench/lighthouse.mjs --url http://127.0.0.1:3000 [--cookie 'id=…'] / /communities +/dashboard
//
// A path with a leading `+` is measured signed in: the `--cookie` header is sent with every
// request of that run (Lighthouse's `extraHeaders`). Needs `npm ci --prefix bench` (bench/run.sh
// does it) and Debian's chromium (or CHROMIUM=path).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';

const args = process.argv.slice(2);
let base = 'http://127.0.0.1:3000';
let cookie = null;
let runs = Number(process.env.LIGHTHOUSE_RUNS || 3);
const pages = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--url') base = args[++i];
  else if (args[i] === '--cookie') cookie = args[++i];
  else if (args[i] === '--runs') runs = Number(args[++i]);
  else pages.push(args[i]);
}
if (pages.length === 0) pages.push('/', '/communities');

const chromePath = process.env.CHROMIUM
  || execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const rows = [];
for (const spec of pages) {
  const signedIn = spec.startsWith('+');
  const path = signedIn ? spec.slice(1) : spec;
  if (signedIn && !cookie) {
    console.error(`skipping ${path}: signed-in page and no --cookie given`);
    continue;
  }
  const results = [];
  // Lighthouse sometimes fails to record its own trace (NO_NAVSTART, NO_FCP on a busy
  // machine): such a run is repeated, at most twice, rather than failing the whole bench.
  let retries = 2;
  for (let r = 0; r < runs; r++) {
    // A fresh browser per run: nothing cached between runs, as for a first visit.
    const chrome = await chromeLauncher.launch({
      chromePath,
      chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const { lhr } = await lighthouse(`${base}${path}`, {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility'],
        ...(signedIn ? { extraHeaders: { Cookie: cookie } } : {}),
      });
      if (lhr.runtimeError) {
        if (retries-- > 0) {
          console.error(`${path}: ${lhr.runtimeError.code}; running again`);
          r--;
          continue;
        }
        throw new Error(`${path}: ${lhr.runtimeError.message}`);
      }
      const a = lhr.audits;
      results.push({
        performance: Math.round(lhr.categories.performance.score * 100),
        accessibility: Math.round(lhr.categories.accessibility.score * 100),
        tbt: a['total-blocking-time'].numericValue,
        tti: a.interactive.numericValue,
        lcp: a['largest-contentful-paint'].numericValue,
        cls: a['cumulative-layout-shift'].numericValue,
        finalUrl: lhr.finalDisplayedUrl,
      });
    } finally {
      await chrome.kill();
    }
  }
  const landed = new URL(results[0].finalUrl).pathname;
  rows.push({
    page: `${path}${signedIn ? ' (signed in)' : ''}${landed !== path ? ` → ${landed}` : ''}`,
    performance: median(results.map((x) => x.performance)),
    accessibility: median(results.map((x) => x.accessibility)),
    tbt: median(results.map((x) => x.tbt)),
    tti: median(results.map((x) => x.tti)),
    lcp: median(results.map((x) => x.lcp)),
    cls: median(results.map((x) => x.cls)),
  });
}

const { version } = JSON.parse(readFileSync(new URL('node_modules/lighthouse/package.json', import.meta.url), 'utf8'));
console.log(`Lighthouse ${version}, mobile profile, median of ${runs} runs`);
console.log('| page | performance | accessibility | TBT ms | TTI s | LCP s | CLS |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.page} | ${r.performance} | ${r.accessibility} | ${Math.round(r.tbt)} | ${(r.tti / 1000).toFixed(1)} | ${(r.lcp / 1000).toFixed(1)} | ${r.cls.toFixed(3)} |`);
}
