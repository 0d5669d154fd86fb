// A community from sign-up to a second member, in a real browser: the owner signs up a
// community and invites someone by email; the invitation arrives through the real mail
// catcher (sent by Stoa's background worker); the newcomer signs in from the invitation,
// accepts, and each sees the pages their role allows. Each form works the same with
// JavaScript and without (the pages are server-rendered; forms are plain HTML forms), so the
// whole scenario runs both ways.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, peers, startStoa, watchedPage } from '../support/harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The newest mail to `to` whose subject contains `subject`, waiting up to 15 s. */
async function mailTo(to, subject) {
  for (let i = 0; i < 150; i++) {
    const mails = await (await fetch(`${peers().maildev}/api/email`)).json();
    const mail = mails.reverse().find((m) => m.to.some((t) => t.address === to) && m.subject.includes(subject));
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail "${subject}" arrived`);
}

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==',
  'base64',
);

for (const database of ['sqlite', 'postgres']) {
  describe(`on ${database}`, () => {
    let stoa;
    before(async () => {
      stoa = await startStoa({ signIn: true, database });
    });
    after(async () => {
      await stoa?.stop();
    });
    for (const javaScript of [true, false]) {
      test(`create a community, invite a member, the member accepts, both see the right pages (JavaScript ${javaScript ? 'on' : 'off'})`, async () => {
        await scenario(stoa, javaScript);
      });
    }
  });
}

async function scenario(stoa, javaScript) {
  // With JavaScript, wait until the islands are live before interacting.
  const hydrated = (page) => javaScript && page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
  const run = `${Date.now() % 1_000_000}${javaScript ? 'j' : 'n'}`;
  const slug = `e2e-lab-${run}`;
  const memberEmail = `member-${run}@example.org`;

  // The owner signs in with the provider and signs up a community.
  const ownerContext = await browser.newContext({ javaScriptEnabled: javaScript });
  const owner = await watchedPage(ownerContext);
  await owner.goto(`${stoa.url}/signin?next=/dashboard`);
  await hydrated(owner);
  await owner.getByRole('button', { name: 'Continue with Test University' }).click();
  await owner.fill('input[name="login"]', `olivia${run}`);
  await owner.fill('input[name="password"]', 'anything');
  await owner.click('button[type="submit"]');
  await owner.waitForURL(`${stoa.url}/dashboard`);
  await hydrated(owner);
  await owner.getByRole('link', { name: 'Sign up a community' }).click();
  await owner.getByRole('heading', { name: 'Sign up a community' }).waitFor();
  await owner.fill('#name', 'Glacier <Lab> & "Friends"');
  await owner.fill('#description', 'We measure ice.');
  await owner.fill('#field', 'Glaciology');
  // A reserved short name is refused next to its field, and nothing is created.
  await owner.fill('#slug', 'staff');
  await owner.getByRole('button', { name: 'Create community' }).click();
  await owner.locator('[data-error-for="slug"]').waitFor();
  assert.equal(owner.url(), `${stoa.url}/communities/new`);
  assert.match(await owner.locator('[data-error-for="slug"]').innerText(), /reserved/);
  // What was typed is still there.
  assert.equal(await owner.inputValue('#name'), 'Glacier <Lab> & "Friends"');
  assert.equal(await owner.inputValue('#description'), 'We measure ice.');
  assert.equal(await owner.inputValue('#slug'), 'staff');
  await owner.fill('#slug', slug);
  await owner.getByRole('button', { name: 'Create community' }).click();
  await owner.waitForURL(`${stoa.url}/communities/${slug}`);
  assert.equal(await owner.getByTestId('community-name').innerText(), 'Glacier <Lab> & "Friends"');
  assert.equal(await owner.getByTestId('my-role').innerText(), 'owner');
  await owner.getByTestId('member-count').waitFor();
  assert.equal(await owner.getByTestId('member-count').innerText(), '1');

  // A logo is uploaded to Stoa (a plain form: it works with JavaScript and without) and
  // shown from Stoa's origin; a file that is not an image is refused with the reason.
  await owner.getByRole('link', { name: 'Settings' }).click();
  await owner.getByRole('heading', { name: 'Logo' }).waitFor();
  await owner.setInputFiles('#logo', { name: 'logo.png', mimeType: 'image/png', buffer: PNG });
  await owner.getByRole('button', { name: 'Upload logo' }).click();
  await owner.waitForURL(`${stoa.url}/communities/${slug}/settings`);
  await hydrated(owner);
  const logoSrc = await owner.getByTestId('community-logo').getAttribute('src');
  assert.match(logoSrc, new RegExp(`^/communities/${slug}/logo\\?v=[0-9a-f]{16}$`));
  assert.equal(await owner.getByTestId('community-logo').evaluate((img) => img.naturalWidth), 1);
  const noScriptContext = await browser.newContext({
    javaScriptEnabled: false,
    storageState: await ownerContext.storageState(),
  });
  const noScript = await noScriptContext.newPage();
  await noScript.goto(`${stoa.url}/communities/${slug}/settings`);
  await noScript.setInputFiles('#logo', {
    name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
  });
  await noScript.getByRole('button', { name: 'Upload logo' }).click();
  await noScript.getByRole('heading', { name: 'The logo was not changed' }).waitFor();
  assert.match(await noScript.locator('[data-error-for="logo"]').innerText(), /not a PNG, JPEG, WebP or GIF image/);
  await noScript.getByRole('link', { name: 'Back to the settings' }).click();
  await noScript.getByRole('button', { name: 'Remove the logo' }).click();
  await noScript.waitForURL(`${stoa.url}/communities/${slug}/settings`);
  assert.equal(await noScript.getByTestId('community-logo').count(), 0);
  await noScript.setInputFiles('#logo', { name: 'logo.png', mimeType: 'image/png', buffer: PNG });
  await noScript.getByRole('button', { name: 'Upload logo' }).click();
  await noScript.waitForURL(`${stoa.url}/communities/${slug}/settings`);
  assert.equal(await noScript.getByTestId('community-logo').getAttribute('src'), logoSrc);
  await noScriptContext.close();

  // Invite by email.
  await owner.getByRole('link', { name: 'Invitations' }).click();
  await owner.getByRole('heading', { name: 'Invite people' }).waitFor();
  await owner.fill('#emails', `${memberEmail}\nnot-an-address`);
  await owner.getByRole('button', { name: 'Send invitations' }).click();
  await owner.getByTestId('invite-results').waitFor();
  assert.equal(await owner.getByTestId('invite-summary').innerText(), '1 of 2 invited');
  assert.equal(await owner.locator('[data-outcome="invalid address"]').count(), 1);
  await owner.locator(`[data-invitation="${memberEmail}"]`).waitFor();

  // The invitation arrives; the newcomer has no account yet.
  const mail = await mailTo(memberEmail, 'Invitation to join');
  const link = mail.text.match(/https?:\/\/\S+\/invitations\/accept\?token=\S+/)[0];
  const memberContext = await browser.newContext({ javaScriptEnabled: javaScript });
  const member = await watchedPage(memberContext);
  await member.goto(link);
  await hydrated(member);
  assert.match(await member.getByTestId('invitation-summary').innerText(), /Glacier <Lab> & "Friends" as member/);
  await member.getByRole('link', { name: 'Sign in to accept' }).click();
  await member.waitForURL(/\/signin\?next=/);
  await member.fill('input[name="email"]', memberEmail);
  await member.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await member.getByRole('heading', { name: 'Check your email' }).waitFor();
  const signInMail = await mailTo(memberEmail, 'sign-in link');
  await member.goto(signInMail.text.match(/https?:\/\/\S+/)[0]);
  await member.getByRole('button', { name: `Sign in as ${memberEmail}` }).click();
  // Back on the invitation, now signed in: sign-in carried its reference, never the token.
  await member.waitForURL(/\/invitations\/accept\?ref=community-\d+$/);
  await hydrated(member);
  await member.getByRole('button', { name: 'Accept and join' }).click();
  await member.waitForURL(`${stoa.url}/communities/${slug}`);
  assert.equal(await member.getByTestId('my-role').innerText(), 'member');
  // A member sees the overview, the hub (its environments and how to log in) and support (the
  // tickets they open); the members list is refused.
  const tabs = await member.getByRole('navigation', { name: 'Community' }).getByRole('link').allInnerTexts();
  assert.deepEqual(tabs, ['Overview', 'Hub', 'Support']);
  const refused = await member.goto(`${stoa.url}/communities/${slug}/members`);
  assert.equal(refused.status(), 403);
  await member.getByText('You do not have access to this page.').waitFor();
  // The used link no longer works.
  await member.goto(link);
  await member.getByTestId('invitation-state').waitFor();

  // The owner sees the new member, and the log of it.
  await owner.goto(`${stoa.url}/communities/${slug}/members`);
  await hydrated(owner);
  await owner.locator(`[data-member="${memberEmail.split('@')[0]}"]`).waitFor();
  assert.equal(await owner.getByTestId('member-total').innerText(), '2 members');
  await owner.goto(`${stoa.url}/communities/${slug}/audit`);
  await owner.locator('[data-action="invitation.accepted"]').waitFor();

  // No errors, no CSP violations; only the refusal provoked above (the member's 403) is
  // reported by the browser as a failed load.
  const provoked = (p) => p.includes('Failed to load resource') && p.includes('/members');
  for (const page of [owner, member]) {
    const ours = (await page.problems()).filter((p) => p.includes(stoa.url) && !provoked(p));
    assert.deepEqual(ours, []);
  }
  await ownerContext.close();
  await memberContext.close();
}
