// The environment catalog in a real browser, with JavaScript and without: browse, search,
// open an entry, add a version of it to one's hub and read the change in the hub's diff.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signInAtProvider, submit, useStoaAndBrowser } from '../support/harness.mjs';

const env = useStoaAndBrowser({ signIn: true });

for (const javaScript of [true, false]) {
  describe(`catalog, JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    const run = `${Date.now() % 1_000_000}${javaScript ? 'j' : 'n'}`;
    const slug = `cat-${run}`;
    let admin;

    before(async () => {
      admin = await signInAtProvider(env.browser, env.stoa.url, `catadmin${run}`, { javaScript });
      await admin.goto(`${env.stoa.url}/communities/new`);
      await admin.fill('#name', 'Catalog Lab');
      await admin.fill('#slug', slug);
      await submit(admin.getByRole('button', { name: 'Create community' }));
      await admin.waitForURL(`${env.stoa.url}/communities/${slug}`);
    });
    after(async () => {
      await admin?.context().close();
    });

    test('browse, search, open an entry, add it to the hub, read the diff', async () => {
      const url = env.stoa.url;
      // A first environment from the catalog: revision 1, shown on the hub page.
      await admin.goto(`${url}/catalog/jupyter-r`);
      const first = admin.getByTestId('add-to-hub-form');
      await first.locator('[name="community"]').selectOption(slug);
      await submit(first.getByRole('button', { name: 'Add to the hub' }));
      assert.equal(new URL(admin.url()).pathname, `/communities/${slug}/hub`);
      assert.match(await admin.getByTestId('hub-environments').innerText(), /Jupyter R 2025-11-10/);

      // Browse and search.
      await admin.goto(`${url}/catalog`);
      assert.match(await admin.getByTestId('catalog-total').innerText(), /^8 environments/);
      await admin.fill('#q', 'pangeo');
      await submit(admin.getByRole('button', { name: 'Show' }));
      assert.match(await admin.getByTestId('catalog-total').innerText(), /^1 environment/);
      assert.equal(new URL(admin.url()).searchParams.get('q'), 'pangeo');
      await submit(admin.getByTestId('entry-pangeo').getByRole('link', { name: 'Pangeo' }));
      assert.equal(new URL(admin.url()).pathname, '/catalog/pangeo');
      assert.equal(await admin.getByTestId('entry-name').innerText(), 'Pangeo');

      // Add a version under a name of one's own: revision 2, and its diff.
      const add = admin.getByTestId('add-to-hub-form');
      const offered = await add.locator('[name="version"] option').allTextContents();
      assert.ok(!offered.includes('2025.01.10'), `deprecated versions are not offered: ${offered}`);
      await add.locator('[name="version"]').selectOption('2025.08.14');
      await add.locator('[name="display_name"]').fill('Pangeo for the course');
      await submit(add.getByRole('button', { name: 'Add to the hub' }));
      const at = new URL(admin.url());
      assert.equal(`${at.pathname}${at.search}`, `/communities/${slug}/hub/diff?from=1&to=2`);
      assert.match(
        await admin.getByTestId('hub-changes').innerText(),
        /Environment 'Pangeo for the course' added \(Pangeo 2025\.08\.14 from the catalog\)/,
      );
      const yaml = await admin.getByTestId('hub-yaml-diff').innerText();
      assert.match(yaml, /\+\s+entry: pangeo/);
      assert.match(yaml, /\+\s+image: pangeo\/pangeo-notebook:2025\.08\.14/);
    });
  });
}
