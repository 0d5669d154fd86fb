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
  });
}
