// Every kind of form, with JavaScript and without: pages are rendered on the server and
// forms are plain HTML forms, so both must behave the same. A refused submission comes back
// as the page with the message next to its field and what was typed still in the fields; an
// accepted one lands where it should, with its note ("Saved.").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signInAtProvider, submit, useStoaAndBrowser } from '../support/harness.mjs';

const env = useStoaAndBrowser({ signIn: true });

/** Only our own pages' problems count (the provider's login page asks for a web font). */
async function assertNoProblems(page) {
  const ours = (await page.problems()).filter((p) => p.includes(env.stoa.url));
  assert.deepEqual(ours, []);
}

for (const javaScript of [true, false]) {
  describe(`JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    const run = `${Date.now() % 1_000_000}${javaScript ? 'j' : 'n'}`;
    const slug = `forms-${run}`;
    let owner;
    const go = async (page, path) => {
      await page.goto(`${env.stoa.url}${path}`);
      if (javaScript) await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
    };

    before(async () => {
      owner = await signInAtProvider(env.browser, env.stoa.url, `owner${run}`, { javaScript });
    });
    after(async () => {
      await owner?.context().close();
    });

    test('sign up a community: a refused website keeps the form, then it opens the new page', async () => {
      await go(owner, '/communities/new');
      await owner.fill('#name', 'Forms <Lab>');
      await owner.fill('#slug', slug);
      await owner.fill('#website', 'http://localhost');
      await submit(owner.getByRole('button', { name: 'Create community' }));
      await owner.locator('[data-error-for="website"]').waitFor();
      assert.equal(owner.url(), `${env.stoa.url}/communities/new`);
      assert.equal(await owner.locator('[data-error-for="website"]').innerText(), 'That does not look like a web address.');
      assert.equal(await owner.inputValue('#name'), 'Forms <Lab>');
      assert.equal(await owner.inputValue('#slug'), slug);
      assert.equal(await owner.inputValue('#website'), 'http://localhost');
      await owner.fill('#website', 'https://forms.example.org');
      await submit(owner.getByRole('button', { name: 'Create community' }));
      await owner.waitForURL(`${env.stoa.url}/communities/${slug}`);
      assert.equal(await owner.getByTestId('community-name').innerText(), 'Forms <Lab>');
      await assertNoProblems(owner);
    });

    test('settings: a refusal marks the field and keeps the values; a save says "Saved."', async () => {
      await go(owner, `/communities/${slug}/settings`);
      await owner.fill('#description', 'Testing forms.');
      await owner.fill('#website', 'ftp://forms.example.org');
      await submit(owner.getByRole('button', { name: 'Save', exact: true }));
      await owner.locator('[data-error-for="website"]').waitFor();
      assert.equal(owner.url(), `${env.stoa.url}/communities/${slug}/settings`);
      assert.match(await owner.locator('[data-error-for="website"]').innerText(), /https:\/\//);
      assert.equal(await owner.inputValue('#description'), 'Testing forms.');
      assert.equal(await owner.inputValue('#website'), 'ftp://forms.example.org');
      await owner.fill('#website', 'https://forms.example.org/new');
      await owner.selectOption('#join_policy', 'request');
      await submit(owner.getByRole('button', { name: 'Save', exact: true }));
      await owner.getByText('Saved.').waitFor();
      assert.equal(owner.url(), `${env.stoa.url}/communities/${slug}/settings`);
      assert.equal(await owner.locator('[data-error-for]').count(), 0);
      assert.equal(await owner.inputValue('#description'), 'Testing forms.');
      assert.equal(await owner.inputValue('#website'), 'https://forms.example.org/new');
      assert.equal(await owner.inputValue('#join_policy'), 'request');
      // The note is for that one view: it is gone on the next.
      await go(owner, `/communities/${slug}/settings`);
      assert.equal(await owner.getByText('Saved.').count(), 0);
      await assertNoProblems(owner);
    });

    test('invitations: a past end date is refused with the addresses kept; then the results show', async () => {
      const email = `invitee-${run}@example.org`;
      await go(owner, `/communities/${slug}/invitations`);
      await owner.fill('#emails', email);
      await owner.fill('#ends_on', '2001-01-01');
      await submit(owner.getByRole('button', { name: 'Send invitations' }));
      await owner.locator('[data-error-for="ends_on"]').waitFor();
      assert.equal(await owner.locator('[data-error-for="ends_on"]').innerText(), 'Choose a date in the future.');
      assert.equal(await owner.inputValue('#emails'), email);
      assert.equal(await owner.inputValue('#ends_on'), '2001-01-01');
      await owner.fill('#ends_on', '');
      await submit(owner.getByRole('button', { name: 'Send invitations' }));
      await owner.getByTestId('invite-results').waitFor();
      assert.equal(owner.url(), `${env.stoa.url}/communities/${slug}/invitations`);
      assert.equal(await owner.getByTestId('invite-summary').innerText(), '1 of 1 invited');
      const row = owner.locator(`[data-invitation="${email}"]`);
      await submit(row.getByRole('button', { name: 'Revoke' }));
      await owner.getByText('None.').waitFor();
      await assertNoProblems(owner);
    });

    test('institutions: register, edit and invite an admin, each refusal in place', async () => {
      await go(owner, '/institutions/new');
      await owner.fill('#legal_name', `Forms University ${run}`);
      await owner.fill('#country', 'XX');
      await submit(owner.getByRole('button', { name: 'Register' }));
      await owner.locator('[data-error-for="country"]').waitFor();
      assert.equal(owner.url(), `${env.stoa.url}/institutions/new`);
      assert.equal(await owner.inputValue('#legal_name'), `Forms University ${run}`);
      assert.equal(await owner.inputValue('#country'), 'XX');
      await owner.fill('#country', 'no');
      await submit(owner.getByRole('button', { name: 'Register' }));
      await owner.waitForURL(/\/institutions\/\d+$/);
      const page = new URL(owner.url()).pathname;
      assert.equal(await owner.getByTestId('institution-name').innerText(), `Forms University ${run}`);

      await owner.fill('#billing_contacts', 'not-an-address');
      await submit(owner.getByRole('button', { name: 'Save', exact: true }));
      await owner.locator('[data-error-for="billing_contacts"]').waitFor();
      assert.equal(await owner.inputValue('#billing_contacts'), 'not-an-address');
      await owner.fill('#billing_contacts', 'accounts@forms.example.org');
      await submit(owner.getByRole('button', { name: 'Save', exact: true }));
      await owner.getByText('Saved.').waitFor();
      assert.equal(await owner.inputValue('#billing_contacts'), 'accounts@forms.example.org');

      await owner.fill('#admin-email', 'someone@localhost');
      await submit(owner.getByRole('button', { name: 'Invite' }));
      await owner.locator('[data-error-for="email"]').waitFor();
      assert.equal(await owner.inputValue('#admin-email'), 'someone@localhost');
      await owner.fill('#admin-email', `admin-${run}@example.org`);
      await submit(owner.getByRole('button', { name: 'Invite' }));
      await owner.getByText('Invitation sent.').waitFor();
      assert.equal(new URL(owner.url()).pathname, page);
      await submit(owner.getByTestId('admin-invitations').getByRole('button', { name: 'Withdraw' }));
      assert.equal(await owner.getByTestId('admin-invitations').count(), 0);

      // The community's billing page offers the new institution.
      await go(owner, `/communities/${slug}/billing`);
      await owner.selectOption('#institution', { label: `Forms University ${run}` });
      await submit(owner.getByRole('button', { name: 'Save' }));
      await owner.getByRole('link', { name: `Forms University ${run}` }).waitFor();
      assert.equal(owner.url(), `${env.stoa.url}/communities/${slug}/billing`);
      await assertNoProblems(owner);
    });

    test('account: a blank name is refused and kept; a new one shows in the header', async () => {
      await go(owner, '/account');
      await owner.fill('#name', '   ');
      await submit(owner.getByRole('button', { name: 'Save' }));
      await owner.getByText('Enter a name.').waitFor();
      assert.equal(await owner.inputValue('#name'), '   ');
      await owner.fill('#name', `Owner ${run}`);
      await submit(owner.getByRole('button', { name: 'Save' }));
      await owner.getByTestId('user-name').getByText(`Owner ${run}`).waitFor();
      assert.equal(owner.url(), `${env.stoa.url}/account`);
      await assertNoProblems(owner);
    });

    test('join requests and members: ask, approve, change the role, leave', async () => {
      const login = `req${run}`;
      const requester = await signInAtProvider(env.browser, env.stoa.url, login, { javaScript });
      await go(requester, `/communities/${slug}`);
      await requester.fill('#join-message', 'I study forms.');
      await submit(requester.getByRole('button', { name: 'Send request' }));
      await requester.getByText('Request sent.', { exact: false }).waitFor();
      await requester.getByTestId('request-pending').waitFor();
      assert.equal(requester.url(), `${env.stoa.url}/communities/${slug}`);

      await go(owner, `/communities/${slug}/requests`);
      await submit(owner.getByRole('button', { name: 'Approve' }));
      await owner.getByTestId('no-requests').waitFor();

      await go(owner, `/communities/${slug}/members`);
      const row = owner.locator(`tr[data-member="Test ${login}"]`);
      await row.getByRole('combobox').selectOption('billing');
      await submit(row.getByRole('button', { name: 'Save' }));
      assert.equal(owner.url(), `${env.stoa.url}/communities/${slug}/members`);
      assert.equal(await owner.locator(`tr[data-member="Test ${login}"] select`).inputValue(), 'billing');
      assert.equal(await owner.getByTestId('member-total').innerText(), '2 members');

      await go(requester, `/communities/${slug}`);
      assert.equal(await requester.getByTestId('my-role').innerText(), 'billing');
      await submit(requester.getByRole('button', { name: 'Leave community' }));
      await requester.waitForURL(`${env.stoa.url}/dashboard`);
      assert.equal(await requester.getByRole('link', { name: 'Forms <Lab>' }).count(), 0);
      await assertNoProblems(owner);
      await assertNoProblems(requester);
      await requester.context().close();
    });
  });
}
