// A community admin configures the hub in a real browser, with JavaScript and without: adds an
// environment (a refused one keeps what was typed), changes its image, reads the diff, previews
// the homepage and restores an older revision. Every form is a plain HTML form.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signInAtProvider, submit, useStoaAndBrowser } from '../support/harness.mjs';

const env = useStoaAndBrowser({ signIn: true });

/** Opens a section of the hub's forms (a <details>) unless a save left it open. */
async function openSection(page, name) {
  const details = page.locator('details', { has: page.locator('summary', { hasText: name }) });
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
}

for (const javaScript of [true, false]) {
  describe(`hub settings, JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    const run = `${Date.now() % 1_000_000}${javaScript ? 'j' : 'n'}`;
    const slug = `hub-${run}`;
    let admin;

    before(async () => {
      admin = await signInAtProvider(env.browser, env.stoa.url, `hubadmin${run}`, { javaScript });
      await admin.goto(`${env.stoa.url}/communities/new`);
      await admin.fill('#name', 'Hub Lab');
      await admin.fill('#slug', slug);
      await submit(admin.getByRole('button', { name: 'Create community' }));
      await admin.waitForURL(`${env.stoa.url}/communities/${slug}`);
    });
    after(async () => {
      await admin?.context().close();
    });

    test('add an environment, change its image, read the diff, preview, restore', async () => {
      const hub = `${env.stoa.url}/communities/${slug}/hub`;
      await admin.goto(hub);
      assert.match(await admin.getByTestId('hub-status').innerText(), /No settings saved yet/);
      // Refused: the starter environment is already called "default".
      const add = admin.getByTestId('add-environment');
      await openSection(admin, 'Environments');
      await add.locator('[name="display_name"]').fill('Pangeo');
      await add.locator('[name="env_slug"]').fill('default');
      await add.locator('[name="image"]').fill('pangeo/pangeo-notebook:2025.01.10');
      await submit(add.getByRole('button', { name: 'Add environment' }));
      const slugError = admin.getByTestId('add-environment').locator('[data-error-for="env_slug"]');
      await slugError.waitFor();
      assert.equal(admin.url(), hub);
      assert.equal(await admin.getByTestId('add-environment').locator('[name="display_name"]').inputValue(), 'Pangeo');
      assert.equal(await admin.getByTestId('add-environment').locator('[name="image"]').inputValue(), 'pangeo/pangeo-notebook:2025.01.10');
      assert.equal(await admin.locator('[data-environment="default"] [data-error-for]').count(), 0, 'only the form that was sent shows the error');

      // Show the changes first: nothing is saved, the form keeps what was typed.
      await admin.getByTestId('add-environment').locator('[name="env_slug"]').fill('pangeo');
      await submit(admin.getByTestId('add-environment').getByRole('button', { name: 'Show changes' }));
      const check = admin.getByTestId('add-environment').getByTestId('hub-check');
      await check.waitFor();
      assert.match(await check.innerText(), /Not saved yet[\s\S]*Pangeo/);
      assert.match(await admin.getByTestId('hub-status').innerText(), /No settings saved yet/);
      assert.equal(await admin.getByTestId('add-environment').locator('[name="env_slug"]').inputValue(), 'pangeo');
      await submit(admin.getByTestId('add-environment').getByRole('button', { name: 'Add environment' }));
      await admin.getByTestId('hub-history').locator('[data-revision="1"]').waitFor();
      assert.match(await admin.getByTestId('hub-environments').innerText(), /Pangeo/);

      // A new tag, as a second revision.
      await openSection(admin, 'Environments');
      const pangeo = admin.locator('[data-environment="pangeo"]');
      await pangeo.locator('[name="image"]').fill('pangeo/pangeo-notebook:2026.04.29');
      await submit(pangeo.getByRole('button', { name: 'Save environment' }));
      await admin.getByTestId('hub-history').locator('[data-revision="2"]').waitFor();

      // Any two revisions compare through a plain GET form.
      await admin.fill('#compare-from', '1');
      await admin.fill('#compare-to', '2');
      await submit(admin.getByTestId('hub-compare').getByRole('button', { name: 'Compare' }));
      assert.equal(new URL(admin.url()).search, '?from=1&to=2');
      assert.match(await admin.getByTestId('hub-changes').innerText(), /2026\.04\.29/);
      await admin.goBack();
      await submit(admin.getByTestId('hub-history').locator('[data-revision="2"]').getByRole('link', { name: 'Changes' }));
      const changes = await admin.getByTestId('hub-changes').innerText();
      assert.match(changes, /2025\.01\.10/);
      assert.match(changes, /2026\.04\.29/);
      assert.match(await admin.getByTestId('hub-yaml-diff').innerText(), /\+.*2026\.04\.29/);

      await admin.goto(`${env.stoa.url}/communities/${slug}/hub/preview?revision=2`);
      assert.equal(await admin.getByTestId('hub-preview').locator('h2').innerText(), 'Hub Lab');

      await admin.goto(hub);
      await submit(admin.getByTestId('hub-history').locator('[data-revision="1"]').getByRole('button', { name: 'Restore #1' }));
      await admin.getByText('Restored as a new revision.').waitFor();
      const top = admin.getByTestId('hub-history').locator('[data-revision="3"]');
      assert.match(await top.innerText(), /Roll back to revision 1/);
      assert.match(await admin.getByTestId('hub-environments').innerText(), /2025\.01\.10/);

      await submit(top.getByRole('button', { name: 'Apply' }));
      await admin.getByText('Applied.').waitFor();
      assert.match(await admin.getByTestId('hub-status').innerText(), /Revision 3 is the latest and the one applied/);
      assert.deepEqual((await admin.problems()).filter((p) => p.includes(env.stoa.url)), []);
    });
  });
}
