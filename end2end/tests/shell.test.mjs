// The app shell and the community directory, with and without JavaScript.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startStoa, watchedPage } from '../support/harness.mjs';

let stoa;
let browser;
before(async () => {
  stoa = await startStoa();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await stoa?.stop();
});

describe('with JavaScript (hydrated)', () => {
  test('home page hydrates under the CSP without console errors', async () => {
    const context = await browser.newContext();
    const page = await watchedPage(context);
    const response = await page.goto(stoa.url);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /script-src 'self' 'nonce-[A-Za-z0-9_-]{22}'/);
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
    assert.equal(await page.locator('[data-testid="community-list"] li').count(), 6);
    assert.deepEqual(await page.problems(), []);
    await context.close();
  });

  test('search answers as you type, without reloading the page', async () => {
    const context = await browser.newContext();
    const page = await watchedPage(context);
    await page.goto(`${stoa.url}/communities`);
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
    // A full page load would wipe this marker; the search island keeps the page.
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.locator('input[name="q"]').pressSequentially('ocean');
    await page.getByText('1 community matches “ocean”').waitFor();
    assert.equal(await page.locator('[data-testid="community-list"] li').count(), 1);
    // The address bar follows, so a reload or a shared link shows the same results.
    assert.equal(page.url(), `${stoa.url}/communities?q=ocean`);
    // Enter searches at once; clearing the box shows every community again.
    await page.fill('input[name="q"]', 'lab');
    await page.press('input[name="q"]', 'Enter');
    await page.getByText(/communities match “lab”/).waitFor();
    await page.fill('input[name="q"]', '');
    await page.getByTestId('result-count').getByText(/^14 communities$/).waitFor();
    assert.equal(page.url(), `${stoa.url}/communities`);
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the search reloaded the page');

    // Links are plain links to server-rendered pages.
    await page.getByRole('link', { name: 'Stoa', exact: true }).click();
    await page.waitForURL(`${stoa.url}/`);
    await page.getByRole('heading', { name: 'Newest communities' }).waitFor();
    assert.deepEqual(await page.problems(), []);
    await context.close();
  });

  test('pages are server-rendered: the directory has one island, one WASM file', async () => {
    const context = await browser.newContext();
    const page = await watchedPage(context);
    const wasm = [];
    page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); });
    await page.goto(`${stoa.url}/communities`);
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
    assert.equal(await page.locator('leptos-island').count(), 1, 'the search is the one island');
    assert.equal(wasm.length, 1, wasm.join(','));
    assert.deepEqual(await page.problems(), []);
    await context.close();
  });

  test('unknown paths show the 404 page and still hydrate', async () => {
    const context = await browser.newContext();
    const page = await watchedPage(context);
    const response = await page.goto(`${stoa.url}/no/such/page`);
    assert.equal(response.status(), 404);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
    assert.deepEqual(await page.problems(), []);
    await context.close();
  });
});

describe('without JavaScript', () => {
  test('the directory search works as a plain HTML form', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${stoa.url}/communities`);
    assert.match(await page.getByTestId('result-count').innerText(), /^14 communities$/);
    await page.fill('input[name="q"]', 'lab');
    await Promise.all([page.waitForURL(/\?q=lab$/), page.press('input[name="q"]', 'Enter')]);
    assert.match(await page.getByTestId('result-count').innerText(), /communities match “lab”/);
    assert.equal(await page.inputValue('input[name="q"]'), 'lab', 'the box shows the query');
    const slugs = await page.locator('[data-testid="community-list"] li').evaluateAll((els) => els.map((e) => e.dataset.slug));
    assert.ok(slugs.includes('ocean-modelling-lab') && slugs.includes('seismo-lab'), slugs.join(','));
    assert.equal(await page.locator('[data-hydrated="true"]').count(), 0, 'nothing ran in the page');
    await context.close();
  });

  test('links lead to server-rendered pages', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(stoa.url);
    await Promise.all([page.waitForURL(/\/communities$/), page.getByRole('link', { name: 'Browse communities' }).click()]);
    await page.getByRole('heading', { name: 'Communities', level: 1 }).waitFor();
    await Promise.all([page.waitForURL(/\/signin$/), page.getByRole('link', { name: 'Sign in' }).first().click()]);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await context.close();
  });
});
