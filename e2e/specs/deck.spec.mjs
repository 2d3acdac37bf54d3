// The example reveal.js deck: one slide per demo, each a custom element loaded by one module
// script; moving to a slide mounts and drives its demo, and a demo whose slide is hidden is
// paused.

import assert from 'node:assert/strict';

const DECK = 'demos/slides/';
const ORDER = ['namespaces', 'ipvs', 'cgroups'];

async function openDeck(page, baseUrl) {
  const res = await page.goto(new URL(DECK, baseUrl).href, { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  await page.waitForFunction(() => window.document.querySelector('.reveal.ready') !== null);
}

/** Moves to slide `index` (0 is the title slide) with the keyboard. */
async function goToSlide(page, index) {
  // A focused demo control keeps the keys to itself; a speaker clicks the slide first.
  await page.evaluate(() => document.activeElement?.blur());
  await page.locator('body').press('Home');
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction((i) => window.location.hash === `#/${i}`, index);
}

export const tests = [
  {
    name: 'every embed page fits the 960×700 frame of the README at every scenario\'s last step',
    viewport: { width: 960, height: 700 },
    timeout: 120_000,
    fn: async ({ page, baseUrl }) => {
      const catalog = await (await page.request.get(new URL('demos/scenarios.json', baseUrl).href)).json();
      const tall = [];
      for (const [kind, scenarios] of Object.entries(catalog)) {
        for (const { name, ops } of scenarios) {
          await page.goto(new URL(`demos/${kind}/embed/?scenario=${name}&step=${ops}`, baseUrl).href);
          await page.locator(`[data-state="ready"][data-step="${ops}"]`).waitFor();
          const height = await page.evaluate(() => document.documentElement.scrollHeight);
          if (height > 700) tall.push(`${kind}/${name}: ${height}px`);
        }
      }
      assert.deepEqual(tall, []);
    },
  },
  {
    name: 'vendored reveal.js serves with its license, and no request leaves the site',
    fn: async ({ page, baseUrl }) => {
      const license = await page.request.get(new URL('vendor/reveal/LICENSE', baseUrl).href);
      assert.equal(license.status(), 200);
      assert.match(await license.text(), /Hakim El Hattab/);
      await openDeck(page, baseUrl);
      assert.equal(await page.locator('.reveal .slides > section').count(), ORDER.length + 2);
    },
  },
  {
    name: 'a demo fetches its module and the wasm only when its slide is first shown',
    fn: async ({ page, baseUrl }) => {
      const fetched = [];
      page.on('request', (r) => {
        const path = new URL(r.url()).pathname;
        if (path.includes('/js/demos/') || path.endsWith('.wasm')) fetched.push(path);
      });
      await openDeck(page, baseUrl);
      await page.waitForTimeout(1000);
      assert.deepEqual(fetched, [], 'nothing on the title slide');
      await goToSlide(page, 1);
      await page.locator(`${ORDER[0]}-demo [data-testid="step"]`).waitFor({ state: 'visible' });
      assert.deepEqual(fetched.sort(), [`/js/demos/${ORDER[0]}.js`, '/js/demos/kit.js', '/wasm/demos_bg.wasm'].sort());
      for (const kind of ORDER.slice(1)) {
        assert.equal(await page.locator(`${kind}-demo`).getAttribute('data-state'), null, `${kind} waits`);
      }
    },
  },
  {
    name: 'each demo works on its slide after moving to it',
    timeout: 60_000,
    fn: async ({ page, baseUrl, artifacts }) => {
      await openDeck(page, baseUrl);
      for (const [i, kind] of ORDER.entries()) {
        await goToSlide(page, i + 1);
        const demo = page.locator(`${kind}-demo`);
        await demo.locator('[data-testid="step"]').waitFor({ state: 'visible' });
        assert.equal(await demo.getAttribute('data-state'), 'ready', `${kind} mounted`);
        const before = Number(await demo.getAttribute('data-step'));
        await demo.locator('[data-testid="step"]').click();
        await page.waitForFunction(
          ([k, n]) => Number(document.querySelector(`${k}-demo`).dataset.step) === n,
          [kind, before + 1],
        );
        // Space and an arrow on a focused control stay with the demo: the deck does not move.
        await demo.locator('[data-testid="step"]').press('Space');
        await demo.locator('[data-testid="speed"]').press('ArrowRight');
        await page.waitForFunction(
          ([k, n]) => Number(document.querySelector(`${k}-demo`).dataset.step) === n,
          [kind, before + 2],
        );
        assert.equal(new URL(page.url()).hash, `#/${i + 1}`, `${kind}: still on its slide`);
        await page.screenshot({ path: artifacts.file(`slide-${kind}.png`) });
      }
    },
  },
  {
    name: 'a demo whose slide is hidden stops playing',
    timeout: 60_000,
    fn: async ({ page, baseUrl }) => {
      await openDeck(page, baseUrl);
      await goToSlide(page, 3);
      const demo = page.locator('cgroups-demo');
      await demo.locator('[data-testid="reset"]').waitFor({ state: 'visible' });
      await demo.locator('[data-testid="reset"]').click();
      await demo.locator('[data-testid="play"]').click();
      await page.waitForFunction(() => Number(document.querySelector('cgroups-demo').dataset.step) >= 1, null, {
        timeout: 10_000,
      });
      // The demo keeps its keys to itself; leave it first, as a speaker clicking the slide would.
      await page.evaluate(() => document.activeElement.blur());
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction(() => window.location.hash === '#/2');
      const hiddenAt = Number(await demo.getAttribute('data-step'));
      await page.waitForTimeout(2_500);
      assert.equal(Number(await demo.getAttribute('data-step')), hiddenAt, 'no step while hidden');
    },
  },
];
