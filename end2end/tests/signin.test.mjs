// Signing in, in a real browser, against the real OpenID provider and mail catcher.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { peers, useStoaAndBrowser, watchedPage } from '../support/harness.mjs';

const env = useStoaAndBrowser({ signIn: true });

describe('with JavaScript (hydrated)', () => {
  test('sign in with the provider, see your name, sign out', async () => {
    const context = await env.browser.newContext();
    const page = await watchedPage(context);
    await page.goto(`${env.stoa.url}/signin`);
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
    await page.getByRole('button', { name: 'Continue with Test University' }).click();
    // The provider's own login form.
    await page.waitForURL(new RegExp(`^${peers().issuer}/interaction/`));
    await page.fill('input[name="login"]', 'erin');
    await page.fill('input[name="password"]', 'anything');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${env.stoa.url}/`);
    await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
    assert.equal(await page.getByTestId('user-name').innerText(), 'Test erin');

    await page.getByTestId('user-name').click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    assert.equal(await page.getByTestId('account-email').innerText(), 'erin@example.test');

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${env.stoa.url}/`);
    await page.getByRole('link', { name: 'Sign in' }).first().waitFor();
    assert.equal(await page.getByTestId('user-name').count(), 0);
    // The provider's own pages are not ours to judge (its login page asks for a web font).
    const ours = (await page.problems()).filter((p) => p.includes(env.stoa.url));
    assert.deepEqual(ours, []);
    await context.close();
  });

  test('a protected page sends you to sign in and back', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${env.stoa.url}/account`);
    assert.match(page.url(), /\/signin\?next=\/account$/);
    assert.equal(response.status(), 200);
    await page.getByRole('button', { name: 'Continue with Test University' }).click();
    await page.fill('input[name="login"]', 'frank');
    await page.fill('input[name="password"]', 'anything');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${env.stoa.url}/account`);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await context.close();
  });
});

describe('without JavaScript', () => {
  test('a newcomer signs in by email link', async () => {
    const email = `newcomer-${Date.now()}@example.org`;
    const context = await env.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${env.stoa.url}/signin`);
    await page.fill('input[name="email"]', email);
    await Promise.all([page.waitForURL(/\/signin\/email-sent$/), page.getByRole('button', { name: 'Email me a sign-in link' }).click()]);
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    let link;
    for (let i = 0; i < 50 && !link; i++) {
      const mails = await (await fetch(`${peers().maildev}/api/email`)).json();
      const mail = mails.reverse().find((m) => m.to.some((t) => t.address === email));
      link = mail?.text.match(/https?:\/\/\S+/)?.[0];
      if (!link) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(link, 'the sign-in mail arrived');
    await page.goto(link);
    await Promise.all([page.waitForURL(`${env.stoa.url}/`), page.getByRole('button', { name: `Sign in as ${email}` }).click()]);
    assert.equal(await page.getByTestId('user-name').innerText(), email.split('@')[0]);

    // The same link again: refused.
    await page.goto(link);
    await page.getByTestId('link-invalid').waitFor();

    await Promise.all([page.waitForURL(`${env.stoa.url}/`), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
    assert.equal(await page.getByTestId('user-name').count(), 0);
    await context.close();
  });
});
