// A community admin changes the hub's announcement, applies it, watches the change's
// timeline reach "healthy" on the hub tab (the page refreshes itself, no script needed),
// opens the real hub, is signed in through Stoa and reads the new text there. Stoa's session
// cookie never reaches the hub's host, and one browser stays signed in to Stoa and the hub.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signInAtProvider, submit, useStoaAndBrowser } from '../support/harness.mjs';

const env = useStoaAndBrowser({ signIn: true, hubs: true });

/** Creates community `slug` as `admin`; returns its hub tab's address. */
async function createCommunity(admin, slug, name) {
  await admin.goto(`${env.stoa.url}/communities/new`);
  await admin.fill('#name', name);
  await admin.fill('#slug', slug);
  await submit(admin.getByRole('button', { name: 'Create community' }));
  await admin.waitForURL(`${env.stoa.url}/communities/${slug}`);
  return `${env.stoa.url}/communities/${slug}/hub`;
}

/** On the hub tab: saves the announcement, applies revision 1, and waits (the tab refreshes
 * itself) until the change is healthy; returns the states seen and the hub's address. */
async function announceAndApply(admin, tab, text) {
  await admin.goto(tab);
  const homepage = admin.locator('details', { has: admin.locator('summary', { hasText: 'Homepage' }) });
  if ((await homepage.getAttribute('open')) === null) await homepage.locator('summary').click();
  await homepage.locator('[name="announcement"]').fill(text);
  await submit(homepage.getByRole('button', { name: /^Save/ }));
  await admin.waitForURL(tab);
  await submit(admin.getByTestId('hub-history').locator('tr[data-revision="1"]').getByRole('button', { name: 'Apply' }));
  const seen = new Set();
  const deadline = Date.now() + 200_000;
  for (;;) {
    const state = await admin.getByTestId('hub-changes').locator('[data-testid="change-state"]').first().innerText();
    seen.add(state);
    if (state === 'healthy') break;
    assert.notEqual(state, 'failed', await admin.getByTestId('hub-changes').innerText());
    assert.ok(Date.now() < deadline, `still ${state}`);
    await admin.waitForEvent('load', { timeout: 10_000 }).catch(() => {});
  }
  return { seen, hubUrl: await admin.getByTestId('hub-url').getAttribute('href') };
}

/** Opens the hub signed out of it, reads the announcement on its sign-in page, signs in with
 * Stoa (already signed in there) and lands on the hub's home. */
async function signInToHub(page, hubUrl, text) {
  await page.goto(`${hubUrl}/hub/home`);
  assert.match(page.url(), /\/hub\/login/);
  assert.match(await page.locator('#stoa-announcement').innerText(), text);
  await Promise.all([page.waitForURL(`${hubUrl}/hub/home`), page.getByText('Sign in with Stoa').click()]);
}

describe('a change reaches the real hub', () => {
  const run = `${Date.now() % 1_000_000}`;
  const slug = `live-${run}`;
  let admin;

  before(async () => {
    admin = await signInAtProvider(env.browser, env.stoa.url, `liveadmin${run}`);
  });
  after(async () => {
    await admin?.context().close();
  });

  test('announce, apply, watch it go healthy, read it on the hub', { timeout: 240_000 }, async () => {
    const tab = await createCommunity(admin, slug, 'Live Lab');
    const { seen, hubUrl } = await announceAndApply(admin, tab, `Workshop **${run}** starts at ten.`);
    assert.ok(seen.size >= 2, `the timeline moved while watched: ${[...seen]}`);
    assert.match(await admin.getByTestId('hub-headline').innerText(), /Running revision 1/);
    assert.match(hubUrl, new RegExp(`^http://${slug}\\.hub\\.localhost:\\d+$`));

    // Open the hub: its sign-in page already says whose it is; sent to Stoa, already signed
    // in there, back to the hub as its user.
    const page = await admin.context().newPage();
    await signInToHub(page, hubUrl, new RegExp(`Workshop ${run}`));
    assert.match(await page.locator('body').innerText(), new RegExp(`liveadmin${run}`, 'i'), 'signed in as their hub username');
    await page.locator('#stoa-announcement').waitFor();
    assert.match(await page.locator('#stoa-announcement').innerText(), new RegExp(`Workshop ${run} starts at ten.`));
    assert.equal(await page.locator('#stoa-announcement strong').innerText(), run);

    // A second community's hub in the same browser.
    const other = await announceAndApply(admin, await createCommunity(admin, `${slug}-b`, 'Live Lab B'), 'Second hub.');
    const second = await admin.context().newPage();
    await signInToHub(second, other.hubUrl, /Second hub/);

    // Cookies: Stoa's never goes to the hub's host, and the browser holds both sessions.
    const stoaCookies = await admin.context().cookies(env.stoa.url);
    const hubCookies = await admin.context().cookies(`${hubUrl}/hub/home`);
    assert.ok(stoaCookies.length > 0, 'signed in to Stoa');
    assert.ok(hubCookies.length > 0, 'signed in to the hub');
    const hubHost = new URL(hubUrl).hostname;
    for (const cookie of stoaCookies) assert.notEqual(cookie.domain.replace(/^\./, ''), hubHost);
    for (const cookie of hubCookies) {
      assert.ok(!stoaCookies.some((s) => s.name === cookie.name && s.value === cookie.value), `${cookie.name} is shared`);
    }
    await admin.goto(`${env.stoa.url}/dashboard`);
    assert.equal(admin.url(), `${env.stoa.url}/dashboard`, 'still signed in to Stoa');
    for (const [tabPage, url] of [[page, hubUrl], [second, other.hubUrl]]) {
      await tabPage.goto(`${url}/hub/home`);
      assert.equal(tabPage.url(), `${url}/hub/home`, `still signed in to ${url}`);
    }
    await page.close();
    await second.close();
  });
});
