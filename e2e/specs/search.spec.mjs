// Site search: the header box as you type, keyboard use, the search page with ?q=, lazily
// fetched excerpts, markup in the query, phone width and dark mode.

import assert from 'node:assert/strict';

const IPVS_URL = 'load-balancing/ipvs-load-balancing/';
const IPVS_TITLE = 'Kernel load-balancing for Docker containers using IPVS';
const PETAZZONI_URL = 'internals/cgroups-namespaces-petazzoni/';
const PETAZZONI_TITLE = 'Cgroups, namespaces, and beyond: what are containers made from?';
const RELEASE_TITLE = 'Docker 1.9 platform release (context for the whole conference)';
const GREEN_FONT_TITLE = 'Green Font, Black Background – Docker Security by Example';
const HEADER = '.site-search';
const PAGE_RESULTS = '#search-page-results .search-result';

async function goto(page, url) {
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.ok(res, `no response for ${url}`);
  assert.equal(res.status(), 200, url);
}

/** Types `text` into the header box key by key and waits for results for all of it. */
async function typeInHeader(page, text) {
  const input = page.locator(`${HEADER} .search-input`);
  await input.click();
  await input.pressSequentially(text, { delay: 20 });
  await page.waitForFunction(
    (q) => document.querySelector('#site-search-results')?.dataset.query === q,
    text,
  );
  return input;
}

const titles = (page, scope) => page.locator(`${scope} .search-result-title`).allTextContents();

export const tests = [
  {
    name: 'typing IPVS lists the IPVS session first; arrows and Enter open it',
    fn: async ({ page, baseUrl }) => {
      await goto(page, baseUrl);
      const input = await typeInHeader(page, 'IPVS');
      assert.ok(await page.locator(`${HEADER} .search-popup`).isVisible(), 'the result list opens');
      assert.equal(await input.getAttribute('aria-expanded'), 'true');
      const found = await titles(page, HEADER);
      assert.equal(found[0], IPVS_TITLE, `results: ${JSON.stringify(found)}`);
      assert.ok(found.length <= 8, 'the popup shows at most 8 results');
      const marks = await page.locator(`${HEADER} .search-result-title mark`).allTextContents();
      assert.ok(marks.includes('IPVS'), `the title's match is highlighted: ${JSON.stringify(marks)}`);
      assert.match(await page.locator(`${HEADER} .search-status`).textContent(), /^\d+ results? for “IPVS”\.$/);

      const options = page.locator(`${HEADER} [role="option"]`);
      await page.keyboard.press('ArrowDown');
      assert.equal(await options.nth(0).getAttribute('aria-selected'), 'true');
      assert.equal(await input.getAttribute('aria-activedescendant'), await options.nth(0).getAttribute('id'));
      if ((await options.count()) > 1) {
        await page.keyboard.press('ArrowDown');
        assert.equal(await options.nth(1).getAttribute('aria-selected'), 'true');
        assert.equal(await options.nth(0).getAttribute('aria-selected'), 'false');
        await page.keyboard.press('ArrowUp');
      }
      assert.equal(await options.nth(0).getAttribute('aria-selected'), 'true');
      await Promise.all([page.waitForURL(baseUrl + IPVS_URL), page.keyboard.press('Enter')]);
      assert.equal(await page.locator('h1').first().textContent(), IPVS_TITLE);
    },
  },
  {
    name: 'prefixes match as you type and Escape closes the list',
    fn: async ({ page, baseUrl }) => {
      await goto(page, baseUrl + PETAZZONI_URL);
      const input = await typeInHeader(page, 'petaz');
      assert.equal((await titles(page, HEADER))[0], PETAZZONI_TITLE);
      const meta = await page.locator(`${HEADER} .search-result-meta mark`).first().textContent();
      assert.equal(meta, 'Petazzoni', 'the whole matched word is highlighted in the speakers');
      await page.keyboard.press('Escape');
      assert.ok(await page.locator(`${HEADER} .search-popup`).isHidden(), 'Escape closes the list');
      assert.equal(await input.getAttribute('aria-expanded'), 'false');
      assert.equal(await input.inputValue(), 'petaz', 'the query stays');
      await page.keyboard.press('ArrowDown');
      assert.ok(await page.locator(`${HEADER} .search-popup`).isVisible(), 'ArrowDown reopens it');
    },
  },
  {
    name: '"/" focuses the search box unless the reader is typing in a field',
    fn: async ({ page, baseUrl }) => {
      await goto(page, baseUrl + IPVS_URL);
      await page.keyboard.press('/');
      const focused = await page.evaluate(() => document.activeElement?.id);
      assert.equal(focused, 'site-search-input');
      assert.equal(await page.locator('#site-search-input').inputValue(), '', 'the slash is not typed');
      await page.keyboard.type('a/b');
      assert.equal(await page.locator('#site-search-input').inputValue(), 'a/b', '"/" types inside the box');
      // On the search page, "/" goes to the page's own box.
      await goto(page, `${baseUrl}search/`);
      await page.keyboard.press('/');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'search-page-input');
    },
  },
  {
    name: 'the search page runs ?q=Petazzoni and keeps the URL in step with the box',
    fn: async ({ page, baseUrl }) => {
      await goto(page, `${baseUrl}search/?q=Petazzoni`);
      await page.locator(PAGE_RESULTS).first().waitFor();
      assert.equal(await page.locator('#search-page-input').inputValue(), 'Petazzoni');
      assert.equal((await titles(page, '#search-page-results'))[0], PETAZZONI_TITLE);
      assert.match(await page.locator('.search-page .search-status').textContent(), /^\d+ results? for “Petazzoni”\.$/);
      const meta = await page.locator('#search-page-results .search-result-meta').first().textContent();
      assert.match(meta, /Jérôme Petazzoni · Container internals/);

      const input = page.locator('#search-page-input');
      await input.fill('');
      await input.pressSequentially('ipvs', { delay: 20 });
      await page.waitForFunction(() => document.querySelector('#search-page-results')?.dataset.query === 'ipvs');
      assert.equal(new URL(page.url()).searchParams.get('q'), 'ipvs', 'the URL follows the query');
      assert.equal((await titles(page, '#search-page-results'))[0], IPVS_TITLE);
      await page.keyboard.press('ArrowDown');
      await Promise.all([page.waitForURL(baseUrl + IPVS_URL), page.keyboard.press('Enter')]);
    },
  },
  {
    name: 'a body-only match gets a highlighted excerpt from the page itself',
    fn: async ({ page, baseUrl }) => {
      // "FWMark" is in the IPVS write-up's prose, not in its title, tags or summary.
      await goto(page, `${baseUrl}search/?q=fwmark`);
      const result = page.locator(PAGE_RESULTS).first();
      await result.waitFor();
      assert.equal(await result.locator('.search-result-title').textContent(), IPVS_TITLE);
      const mark = result.locator('.search-result-excerpt mark').first();
      await mark.waitFor();
      assert.equal(await mark.textContent(), 'FWMark');
      const excerpt = await result.locator('.search-result-excerpt').textContent();
      assert.ok(excerpt.length < 260, `the excerpt is short (${excerpt.length} characters)`);
      // The heading after the paragraph and the table's first cell stay separate words.
      assert.ok(!/ModeWhat|packetConstraint/.test(excerpt), `blocks run together: ${excerpt}`);
    },
  },
  {
    name: 'a version is one word: "1.9" and "Docker 1.9" find the 1.9 release first',
    fn: async ({ page, baseUrl }) => {
      await goto(page, `${baseUrl}search/?q=1.9`);
      await page.locator(PAGE_RESULTS).first().waitFor();
      assert.equal((await titles(page, '#search-page-results'))[0], RELEASE_TITLE);
      assert.match(await page.locator('.search-page .search-status').textContent(), /^\d+ results for “1\.9”\.$/);
      const marks = await page.locator(`${PAGE_RESULTS} .search-result-title mark`).first().textContent();
      assert.equal(marks, '1.9', 'the version is highlighted whole');

      await typeInHeader(page, 'Docker 1.9');
      assert.equal((await titles(page, HEADER))[0], RELEASE_TITLE);

      const input = page.locator('#search-page-input');
      await input.fill('1');
      await page.waitForFunction(() => document.querySelector('#search-page-results')?.dataset.query === '1');
      assert.equal(await page.locator('.search-page .search-status').textContent(), 'Type at least two letters or digits.');
    },
  },
  {
    name: "an excerpt keeps a demo's caption but not its fallback or its link",
    fn: async ({ page, baseUrl }) => {
      // "EPERM" is in the Green Font write-up's prose just before a demo, not in its summary.
      await goto(page, `${baseUrl}search/?q=eperm`);
      const result = page.locator(PAGE_RESULTS).filter({ hasText: GREEN_FONT_TITLE });
      await result.locator('.search-result-excerpt mark').first().waitFor();
      const excerpt = await result.locator('.search-result-excerpt').textContent();
      assert.ok(
        excerpt.includes('belongs to the host. Root inside a user namespace, EPERM outside. Trusted pulls'),
        `the caption is a sentence of its own: ${excerpt}`,
      );
      assert.ok(!/JavaScript|WebAssembly|Open the/.test(excerpt), `demo boilerplate in: ${excerpt}`);

      // The reviewer's query: the fallback used to be the first "cgroup" of the page.
      await goto(page, `${baseUrl}search/?q=cgroup`);
      const cgroup = page.locator(PAGE_RESULTS).filter({ hasText: GREEN_FONT_TITLE });
      await cgroup.locator('.search-result-excerpt mark').first().waitFor();
      const text = await cgroup.locator('.search-result-excerpt').textContent();
      assert.ok(!/JavaScript|WebAssembly|Open the/.test(text), `demo boilerplate in: ${text}`);
    },
  },
  {
    name: 'markup in the query is shown as text and never injected',
    fn: async ({ page, baseUrl }) => {
      const dialogs = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        return dialog.dismiss();
      });
      const query = '<img src=x onerror=alert(1)>';
      await goto(page, `${baseUrl}search/?q=${encodeURIComponent(query)}`);
      await page.waitForFunction((q) => document.querySelector('#search-page-results')?.dataset.query === q, query);
      await typeInHeader(page, query);
      const status = await page.locator('.search-page .search-status').textContent();
      assert.ok(status.includes(query), `the query shows as text: ${status}`);
      assert.equal(await page.locator('img').count(), 0, 'no img element was injected');
      assert.equal(await page.locator('.search-status *, .search-results mark img').count(), 0);
      assert.deepEqual(dialogs, []);
    },
  },
  {
    name: 'the search box and its results fit a phone screen (390px)',
    viewport: { width: 390, height: 844 },
    fn: async ({ page, baseUrl, artifacts }) => {
      await goto(page, baseUrl);
      await typeInHeader(page, 'docker');
      await page.screenshot({ path: artifacts.file('popup.png') });
      const { scrollWidth, popup } = await page.evaluate(() => {
        const r = document.querySelector('.search-popup').getBoundingClientRect();
        return { scrollWidth: document.documentElement.scrollWidth, popup: { left: r.left, right: r.right } };
      });
      assert.ok(scrollWidth <= 390, `no horizontal overflow (scrollWidth ${scrollWidth})`);
      assert.ok(popup.left >= 0 && popup.right <= 390, `the popup is on screen: ${JSON.stringify(popup)}`);
    },
  },
  {
    name: 'dark mode restyles the result list',
    fn: async ({ page, baseUrl }) => {
      const colours = () =>
        page.evaluate(() => {
          const popup = getComputedStyle(document.querySelector('.search-popup'));
          const mark = getComputedStyle(document.querySelector('.search-popup mark'));
          return { popup: popup.backgroundColor, mark: mark.backgroundColor, text: mark.color };
        });
      await page.emulateMedia({ colorScheme: 'light' });
      await goto(page, baseUrl);
      await typeInHeader(page, 'swarm');
      const light = await colours();
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = await colours();
      assert.notEqual(dark.popup, light.popup, 'popup background');
      assert.notEqual(dark.mark, light.mark, 'highlight background');
      assert.notEqual(dark.mark, dark.text, 'highlighted text stays readable');
    },
  },
];
