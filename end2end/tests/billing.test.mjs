// Plans and usage in a real browser, with JavaScript and without (plain GET and POST forms):
// anyone prices expected usage on the pricing page; a community's owner (who manages its
// billing) sees its plan, asks what moving to a larger one changes, confirms it, and reads
// the usage page with its chart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signInAtProvider, submit, useStoaAndBrowser } from '../support/harness.mjs';

const env = useStoaAndBrowser({ signIn: true });

for (const javaScript of [true, false]) {
  describe(`JavaScript ${javaScript ? 'on' : 'off'}`, () => {
    const run = `${Date.now() % 1_000_000}${javaScript ? 'j' : 'n'}`;
    const slug = `plans-${run}`;
    let owner;
    const go = async (page, path) => {
      await page.goto(`${env.stoa.url}${path}`);
      if (javaScript) await page.waitForSelector('[data-hydrated="true"]', { timeout: 15_000 });
    };

    before(async () => {
      owner = await signInAtProvider(env.browser, env.stoa.url, `payer${run}`, { javaScript });
    });
    after(async () => {
      await owner?.context().close();
    });

    test('the pricing page prices expected usage, and says why a number is refused', async () => {
      await go(owner, '/pricing');
      assert.equal(await owner.getByTestId('plans').locator('li[data-testid^="plan-"]').count(), 3);
      await owner.fill('#users', '40');
      await submit(owner.getByRole('button', { name: 'Estimate' }));
      await owner.getByTestId('estimate').waitFor();
      assert.match(owner.url(), /\/pricing\?users=40/);
      const lab = await owner.getByTestId('estimate-lab').innerText();
      assert.match(lab, /€120\.00/);
      assert.match(lab, /€2,040\.00/);
      // The browser's own check stops a negative number; a typed URL reaches the server.
      await go(owner, '/pricing?users=lots');
      assert.equal(await owner.locator('#users-error').innerText(), 'A whole number of people, from 0 to 1,000,000.');
    });

    test('the billing contact sees the effect of a plan change, then confirms it', async () => {
      await go(owner, '/communities/new');
      await owner.fill('#name', 'Plans Lab');
      await owner.fill('#slug', slug);
      await submit(owner.getByRole('button', { name: 'Create community' }));
      await owner.waitForURL(`${env.stoa.url}/communities/${slug}`);

      await go(owner, `/communities/${slug}/billing`);
      assert.match(await owner.getByTestId('plan-name').innerText(), /^Lab/);
      assert.match(await owner.getByTestId('usage-so-far').innerText(), /€0\.00 \(0 people active\)/);
      await owner.selectOption('#plan', 'department');
      await submit(owner.getByRole('button', { name: 'See what changes' }));
      const effect = owner.getByTestId('plan-effect');
      await effect.waitFor();
      assert.match(await effect.innerText(), /membership €2,400\.00 a year instead of €600\.00/);
      assert.match(await effect.getByRole('row', { name: /Event capacity/ }).innerText(), /50 people\s+300 people/);
      // Only shown so far: still on Lab.
      assert.match(await owner.getByTestId('plan-name').innerText(), /^Lab/);
      await submit(owner.getByRole('button', { name: 'Move to Department' }));
      await owner.getByTestId('plan-changed').waitFor();
      assert.match(await owner.getByTestId('plan-name').innerText(), /^Department/);

      await owner.getByRole('link', { name: 'Usage' }).first().click();
      await owner.waitForURL(`${env.stoa.url}/communities/${slug}/usage`);
      assert.equal(await owner.getByTestId('mau').innerText(), '0');
      assert.equal(await owner.getByTestId('usage-fee').innerText(), '€0.00');
      assert.ok(await owner.getByTestId('daily-chart').isVisible());
    });

    test('staff record an invoice and its bank transfer; the billing contact sees both', async () => {
      // Signed in once (the account exists), then made staff.
      const clerk = await signInAtProvider(env.browser, env.stoa.url, `clerk${run}`, { javaScript });
      env.stoa.cli(['staff', 'add', `clerk${run}@example.test`]);
      try {
        await go(clerk, `/communities/${slug}/billing`);
        const form = clerk.getByTestId('record-invoice');
        await form.locator('#number').fill(`INV-${run}`);
        await form.locator('#amount').fill('2,400.00');
        await form.locator('#description').fill('Membership, Department plan');
        await form.locator('#po_number').fill('PO-4711');
        // A refused amount comes back next to its field, with what was typed.
        await form.locator('#amount').fill('24.001');
        await submit(form.getByRole('button', { name: 'Record invoice' }));
        await clerk.locator('[data-error-for="amount"]').waitFor();
        assert.equal(await clerk.inputValue('#number'), `INV-${run}`);
        await clerk.fill('#amount', '2,400.00');
        await submit(clerk.getByRole('button', { name: 'Record invoice' }));
        await clerk.getByTestId(`invoice-INV-${run}`).waitFor();

        await go(owner, `/communities/${slug}/billing`);
        const row = owner.getByTestId(`invoice-INV-${run}`);
        assert.match(await row.innerText(), /€2,400\.00[\s\S]*PO-4711[\s\S]*Due \d{4}-\d{2}-\d{2}/);
        assert.equal(await owner.getByRole('button', { name: /Record payment/ }).count(), 0, 'only staff record payments');

        await go(clerk, `/communities/${slug}/billing`);
        await clerk.locator('input[name="reference"]').fill('TRF 99');
        await submit(clerk.getByRole('button', { name: `Record payment of INV-${run}` }));
        await clerk.getByTestId('standing').and(clerk.locator('[data-status="active"]')).waitFor();
        await go(owner, `/communities/${slug}/billing`);
        assert.match(await owner.getByTestId('standing').innerText(), /^Paid until \d{4}-\d{2}-\d{2}$/);
        assert.match(await owner.getByTestId(`invoice-INV-${run}`).innerText(), /Paid on [\d-]+ \(TRF 99\)/);
      } finally {
        await clerk.context().close();
      }
    });
  });
}
