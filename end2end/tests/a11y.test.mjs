// Accessibility: axe-core (the engine behind Lighthouse's and most browsers' audits) on every
// main page, as each role sees it, in the light and the dark colour scheme. A serious or
// critical violation fails the test with the rule, the element and axe's explanation.
//
// Moderate and minor findings are printed, not failed: axe marks them as best practice or
// as needing a person's judgement.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launchBrowser, signInByEmail, startStoa, watchedPage } from '../support/harness.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const SLUG = 'ocean-modelling-lab';

/** The pages each role sees (demo data: Ada owns every demo community, Alan is a member). */
const ROLES = {
  anonymous: { email: null, pages: ['/', '/communities', `/communities/${SLUG}`, '/signin', '/pricing', '/pricing?users=40', '/no-such-page'] },
  member: {
    email: 'alan@demo.stoa.example',
    // Ticket 1 of the demo is Alan's (in the first demo community).
    pages: ['/dashboard', '/account', `/communities/${SLUG}`, `/communities/${SLUG}/members`, `/communities/${SLUG}/hub`, `/communities/${SLUG}/support`, `/communities/${SLUG}/support/1`],
  },
  owner: {
    email: 'ada@demo.stoa.example',
    pages: [
      '/dashboard',
      '/communities/new',
      `/communities/${SLUG}`,
      `/communities/${SLUG}/members`,
      `/communities/${SLUG}/invitations`,
      `/communities/${SLUG}/requests`,
      `/communities/${SLUG}/billing`,
      `/communities/${SLUG}/usage`,
      `/communities/${SLUG}/settings`,
      `/communities/${SLUG}/audit`,
      `/communities/${SLUG}/support`,
      `/communities/${SLUG}/hub`,
      `/communities/${SLUG}/hub/diff?from=2&to=3`,
      `/communities/${SLUG}/hub/preview?revision=3`,
      '/institutions/new',
    ],
  },
  staff: {
    email: 'grace@demo.stoa.example',
    staff: true,
    pages: ['/staff', '/staff/communities', '/staff/hubs', '/staff/changes?show=all', '/staff/announcements', '/staff/audit', '/staff/tickets', `/communities/${SLUG}/support/2`, `/communities/${SLUG}/hub`],
  },
};

let browser;
let stoa;
/** Each role's cookies, signed in once and reused for both colour schemes. */
const sessions = {};
before(async () => {
  browser = await launchBrowser();
  stoa = await startStoa({ signIn: true });
  stoa.cli(['staff', 'add', ROLES.staff.email]);
  for (const [role, { email }] of Object.entries(ROLES)) {
    if (!email) continue;
    const context = await browser.newContext();
    await signInByEmail(context, stoa.url, email);
    sessions[role] = await context.storageState();
    await context.close();
  }
});
after(async () => {
  await stoa?.stop();
  await browser?.close();
});

/** Runs axe on the page as it is now; returns the violations. */
async function audit(page) {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    // WCAG 2.1 A and AA plus axe's best practices; colour contrast is AA (4.5:1, 3:1 large).
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  });
}

for (const scheme of ['light', 'dark']) {
  describe(`${scheme} colour scheme`, () => {
    for (const [role, { pages }] of Object.entries(ROLES)) {
      test(`${role}: no serious or critical violations`, async () => {
        const context = await browser.newContext({ colorScheme: scheme, storageState: sessions[role] });
        const page = await watchedPage(context);
        const failures = [];
        for (const path of pages) {
          await page.goto(`${stoa.url}${path}`, { waitUntil: 'networkidle' });
          const landed = new URL(page.url());
          assert.equal(landed.pathname + landed.search, path, `${role} sees ${path} (not sent elsewhere)`);
          for (const v of await audit(page)) {
            const line = `${path} [${v.impact}] ${v.id}: ${v.help}\n      ${v.nodes.join('\n      ')}`;
            if (v.impact === 'serious' || v.impact === 'critical') failures.push(line);
            else console.log(`note (${scheme}, ${role}): ${line}`);
          }
        }
        assert.deepEqual(await page.problems(), []);
        await context.close();
        assert.equal(failures.length, 0, `axe found, ${scheme} scheme, as ${role}:\n  ${failures.join('\n  ')}`);
      });
    }
  });
}
