// Support in a real browser, with JavaScript and without: a member opens a ticket, staff
// find it in the queue and answer (with an internal note the member never sees), and the
// member reads the answer and the SLA clock, then replies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signInAtProvider, submit, useStoaAndBrowser } from '../support/harness.mjs';

const env = useStoaAndBrowser({ signIn: true });

for (const javaScript of [true, false]) {
  describe(`support, JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    const run = `${Date.now() % 1_000_000}${javaScript ? 'j' : 'n'}`;
    const slug = `help-${run}`;
    let lead;
    let agent;

    before(async () => {
      lead = await signInAtProvider(env.browser, env.stoa.url, `lead${run}`, { javaScript });
      await lead.goto(`${env.stoa.url}/communities/new`);
      await lead.fill('#name', 'Help Lab');
      await lead.fill('#slug', slug);
      await submit(lead.getByRole('button', { name: 'Create community' }));
      await lead.waitForURL(`${env.stoa.url}/communities/${slug}`);
      agent = await signInAtProvider(env.browser, env.stoa.url, `agent${run}`, { javaScript });
      env.stoa.cli(['staff', 'add', `agent${run}@example.test`]);
    });
    after(async () => {
      await lead?.context().close();
      await agent?.context().close();
    });

    test('a member opens a ticket, staff answer, the member sees the answer and the SLA', async () => {
      const url = env.stoa.url;
      // The member opens a ticket from the community's Support tab.
      await lead.goto(`${url}/communities/${slug}`);
      await submit(lead.getByRole('link', { name: 'Support' }).first());
      const form = lead.getByTestId('open-ticket');
      await form.locator('[name="kind"]').selectOption('incident');
      await form.locator('[name="impact"]').selectOption('high');
      assert.deepEqual(await form.locator('[name="hub"] option').allTextContents(), ['Not about a hub'], 'no hub yet');
      // Refused first (a one-letter title), with what was typed kept.
      await form.locator('[name="title"]').fill('x');
      await form.locator('[name="body"]').fill('The kernel **dies** on start.');
      await submit(form.getByRole('button', { name: 'Open the ticket' }));
      await lead.locator('[data-error-for="title"]').waitFor();
      assert.equal(await lead.getByTestId('open-ticket').locator('[name="body"]').inputValue(), 'The kernel **dies** on start.');
      await lead.getByTestId('open-ticket').locator('[name="title"]').fill(`Kernel dies ${run}`);
      await submit(lead.getByTestId('open-ticket').getByRole('button', { name: 'Open the ticket' }));
      const ticketPath = new URL(lead.url()).pathname;
      assert.match(ticketPath, new RegExp(`^/communities/${slug}/support/\\d+$`));
      assert.equal(await lead.getByTestId('ticket-status').innerText(), 'New');
      assert.match(await lead.getByTestId('ticket-sla').innerText(), /First response: \d+ h( \d+ min)? left/);
      assert.equal(await lead.getByTestId('ticket-body').locator('strong').innerText(), 'dies');

      // Staff find it in the queue, write an internal note, then answer and wait on the member.
      await agent.goto(`${url}/staff/tickets?q=${encodeURIComponent(`dies ${run}`)}`);
      assert.match(await agent.getByTestId('queue-total').innerText(), /^1 ticket/);
      await submit(agent.getByTestId('tickets').getByRole('link', { name: `Kernel dies ${run}` }));
      assert.equal(new URL(agent.url()).pathname, ticketPath);
      const answer = () => agent.getByTestId('answer-form');
      await answer().locator('[name="body"]').fill(`Internal ${run}: node short of memory`);
      await answer().locator('[name="internal"]').check();
      await submit(answer().getByRole('button', { name: 'Send' }));
      await agent.getByTestId('note').waitFor();
      await answer().locator('[name="body"]').fill('Could you send the notebook?');
      await answer().locator('[name="status"]').selectOption('pending');
      await submit(answer().getByRole('button', { name: 'Send' }));
      assert.equal(await agent.getByTestId('ticket-status').innerText(), 'Waiting on you');

      // The member sees the answer, not the note, and the clock paused.
      await lead.goto(`${url}${ticketPath}`);
      assert.equal(await lead.getByTestId('ticket-status').innerText(), 'Waiting on you');
      assert.match(await lead.getByTestId('messages').innerText(), /Stoa support[\s\S]*Could you send the notebook\?/);
      assert.equal(await lead.getByTestId('note').count(), 0);
      assert.ok(!(await lead.content()).includes(`Internal ${run}`), 'the note is not in the page source');
      assert.match(await lead.getByTestId('ticket-sla').innerText(), /First response: Answered\. Resolution: Paused while waiting on the community/);

      // The member's reply opens it again.
      await lead.getByTestId('reply-form').locator('[name="body"]').fill('Here: `era5.ipynb`.');
      await submit(lead.getByTestId('reply-form').getByRole('button', { name: 'Send reply' }));
      assert.equal(await lead.getByTestId('ticket-status').innerText(), 'Open');
    });

    test('with the member\'s consent staff see Stoa as them, read-only, until they stop', async () => {
      const url = env.stoa.url;
      await lead.goto(`${url}/communities/${slug}/support`);
      const form = lead.getByTestId('open-ticket');
      await form.locator('[name="title"]').fill(`Members page empty ${run}`);
      await form.locator('[name="body"]').fill('The members page shows nobody.');
      await submit(form.getByRole('button', { name: 'Open the ticket' }));
      const ticketPath = new URL(lead.url()).pathname;

      // No consent yet: staff are not offered the view.
      await agent.goto(`${url}${ticketPath}`);
      assert.equal(await agent.getByTestId('view-as-form').count(), 0);
      await submit(lead.getByRole('button', { name: 'Allow the support team to see Stoa as I do' }));
      await lead.getByRole('button', { name: 'Withdraw permission' }).waitFor();

      await agent.goto(`${url}${ticketPath}`);
      await submit(agent.getByTestId('view-as-form').getByRole('button'));
      await agent.waitForURL(`${url}/dashboard`);
      const banner = agent.getByTestId('view-as-banner');
      assert.match(await banner.innerText(), new RegExp(`viewing Stoa as .*\\(ticket #\\d+\\), read-only`));
      assert.match(await agent.locator('main').innerText(), /Help Lab/, 'the member\'s dashboard');

      // Every write is refused while it lasts: the member's ticket form answers 403.
      await agent.goto(`${url}/communities/${slug}/support`);
      const theirs = agent.getByTestId('open-ticket');
      await theirs.locator('[name="title"]').fill(`Written as staff ${run}`);
      await theirs.locator('[name="body"]').fill('Should never be saved.');
      await submit(theirs.getByRole('button', { name: 'Open the ticket' }));

      await agent.goto(`${url}/communities/${slug}/support`);
      await submit(agent.getByTestId('view-as-banner').getByRole('button', { name: 'Stop viewing as them' }));
      await agent.goto(`${url}/staff/tickets?status=all&q=${encodeURIComponent(`Written as staff ${run}`)}`);
      assert.equal(await agent.getByTestId('view-as-banner').count(), 0);
      assert.match(await agent.getByTestId('queue-total').innerText(), /^0 tickets/, 'nothing was written');
    });

    test('a quota request is priced, approved by staff, and its revision named on the ticket', async () => {
      const url = env.stoa.url;
      await lead.goto(`${url}/communities/${slug}/support`);
      const form = lead.getByTestId('quota-form');
      assert.match(await form.innerText(), /now up to 10 GiB/);
      // Refused first: a value the community may set itself.
      await form.locator('[name="home_quota_gib"]').fill('5');
      await form.locator('[name="body"]').fill('Larger datasets this term.');
      await submit(form.getByRole('button', { name: 'Send the request' }));
      await lead.locator('[data-error-for="home_quota_gib"]').waitFor();
      await lead.getByTestId('quota-form').locator('[name="home_quota_gib"]').fill('100');
      await submit(lead.getByTestId('quota-form').getByRole('button', { name: 'Send the request' }));
      const ticketPath = new URL(lead.url()).pathname;
      assert.match(ticketPath, new RegExp(`^/communities/${slug}/support/\\d+$`));
      assert.match(await lead.getByTestId('quota-values').innerText(), /Home quota: 100 GiB/);
      assert.match(await lead.getByTestId('quota-prices').innerText(), /Consortium: €9,600\.00 a year, €9,000\.00 more/);
      assert.equal(await lead.getByTestId('quota-approve').count(), 0, 'only staff decide');

      await agent.goto(`${url}${ticketPath}`);
      assert.match(await agent.getByTestId('quota-changes').innerText(), /100/);
      assert.match(await agent.getByTestId('quota-apply-note').innerText(), /Revision 1 will be made, not applied/);
      await submit(agent.getByTestId('quota-approve').getByRole('button', { name: 'Approve and make the revision' }));
      await agent.getByTestId('quota-decision').waitFor();

      await lead.goto(`${url}${ticketPath}`);
      assert.match(await lead.getByTestId('quota-decision').innerText(), /^Approved by Stoa support on .*: revision 1/);
      assert.equal(await lead.getByTestId('ticket-status').innerText(), 'Resolved');
    });
  });
}

describe('announcements and the staff console', () => {
  const run = `${Date.now() % 1_000_000}a`;
  let member;
  let agent;
  before(async () => {
    member = await signInAtProvider(env.browser, env.stoa.url, `reader${run}`, { javaScript: true });
    agent = await signInAtProvider(env.browser, env.stoa.url, `ops${run}`, { javaScript: true });
    env.stoa.cli(['staff', 'add', `ops${run}@example.test`]);
  });
  after(async () => {
    await member?.context().close();
    await agent?.context().close();
  });

  test('a required announcement is acknowledged, and staff see who did', async () => {
    const url = env.stoa.url;
    await agent.goto(`${url}/staff/announcements`);
    const form = agent.getByTestId('announcement-form');
    await form.locator('[name="title"]').fill(`Maintenance ${run}`);
    await form.locator('[name="body"]').fill('Hubs restart on **Saturday**.');
    const ends = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 16);
    await form.locator('[name="ends"]').fill(ends);
    await form.locator('[name="required"]').check();
    await submit(form.getByRole('button', { name: 'Announce' }));
    await agent.waitForURL(/\/staff\/announcements\/\d+$/);
    const detail = agent.url();

    await member.goto(`${url}/dashboard`);
    const banner = member.getByTestId('announcement').filter({ hasText: `Maintenance ${run}` });
    assert.equal(await banner.locator('strong').innerText(), 'Saturday');
    await submit(banner.getByRole('button', { name: 'I have read this' }));
    await member.goto(`${url}/dashboard`);
    assert.equal(await member.getByTestId('announcement').filter({ hasText: `Maintenance ${run}` }).count(), 0);

    await agent.goto(detail);
    assert.match(await agent.getByTestId('reads').innerText(), new RegExp(`reader${run}`, 'i'));
  });

  test('the console links every section and lists hubs and changes', async () => {
    const url = env.stoa.url;
    await agent.goto(`${url}/staff`);
    const nav = agent.getByTestId('staff-nav');
    for (const section of ['Communities', 'Hubs', 'Changes', 'Support queue', 'Announcements', 'Audit log']) {
      assert.equal(await nav.getByRole('link', { name: section }).count(), 1, section);
    }
    await submit(nav.getByRole('link', { name: 'Hubs' }));
    await agent.getByTestId('hubs-total').waitFor();
    await agent.getByTestId('hub-filters').locator('[name="show"]').selectOption('failed');
    await submit(agent.getByTestId('hub-filters').getByRole('button', { name: 'Filter' }));
    await agent.waitForURL(/show=failed/);
    await submit(agent.getByTestId('staff-nav').getByRole('link', { name: 'Changes' }));
    await agent.getByTestId('changes-total').waitFor();
  });
});
