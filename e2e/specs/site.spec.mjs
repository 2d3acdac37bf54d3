// The static site itself: home page, a session page, keyboard access, 404, phone width and
// dark mode.

import assert from 'node:assert/strict';

const SESSION = 'load-balancing/ipvs-load-balancing/';
const PHONE = { width: 390, height: 844 };

/**
 * The colours a reader sees behind and on the body: the body's own background, or the
 * root element's when the body's is transparent (the canvas then takes the root's).
 */
function pageColours(page) {
  return page.evaluate(() => {
    const transparent = (c) => c === 'transparent' || c === 'rgba(0, 0, 0, 0)';
    const body = getComputedStyle(document.body);
    const root = getComputedStyle(document.documentElement);
    const bg = transparent(body.backgroundColor) ? root.backgroundColor : body.backgroundColor;
    return { bg, fg: body.color, bodyBg: body.backgroundColor };
  });
}

async function goto(page, url) {
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.ok(res, `no response for ${url}`);
  return res;
}

export const tests = [
  {
    name: 'home page lists 9 categories with session counts',
    fn: async ({ page, baseUrl }) => {
      const res = await goto(page, baseUrl);
      assert.equal(res.status(), 200);
      assert.equal(res.headers()['content-type'], 'text/html; charset=utf-8');
      const cards = page.locator('#categories .category-card');
      assert.equal(await cards.count(), 9, 'category cards');
      const counts = await page.locator('#categories .category-card .count').allTextContents();
      assert.equal(counts.length, 9, 'every card shows a count');
      let total = 0;
      for (const text of counts) {
        const match = /^(\d+) sessions?$/.exec(text.trim());
        assert.ok(match, `session count text ${JSON.stringify(text)}`);
        assert.ok(Number(match[1]) > 0, `an empty category: ${text}`);
        total += Number(match[1]);
      }
      const stats = await page.locator('.stats').textContent();
      assert.match(stats, new RegExp(`\\b${total} sessions in 9 categories`), 'the counts add up to the total');
      // Every card leads to a category page that exists.
      for (const href of await cards.evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
        const sub = await page.request.get(new URL(href, baseUrl).href);
        assert.equal(sub.status(), 200, href);
      }
    },
  },
  {
    name: 'session page has title, speakers, table of contents, highlighting and badges',
    fn: async ({ page, baseUrl }) => {
      await goto(page, baseUrl + SESSION);
      const h1 = (await page.locator('h1').first().textContent()).trim();
      assert.equal(h1, 'Kernel load-balancing for Docker containers using IPVS');
      assert.ok((await page.title()).startsWith(h1), 'the <title> starts with the session title');
      const speakers = await page.locator('.speakers li').allTextContents();
      assert.ok(speakers.some((s) => s.includes('Andrey Sibiryov')), `speakers: ${speakers}`);

      const toc = await page.locator('nav.toc a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.ok(toc.length >= 3, `table of contents entries: ${toc.length}`);
      const missing = await page.evaluate(
        (hrefs) => hrefs.filter((h) => !h.startsWith('#') || !document.getElementById(decodeURIComponent(h.slice(1)))),
        toc,
      );
      assert.deepEqual(missing, [], 'table of contents links without a target');
      // Following a TOC link scrolls its heading into view.
      await page.locator('nav.toc a').nth(2).click();
      const target = toc[2].slice(1);
      assert.equal(new URL(page.url()).hash, `#${target}`);
      const top = await page.evaluate((id) => document.getElementById(id).getBoundingClientRect().top, target);
      assert.ok(top >= -1 && top < 200, `heading #${target} is at the top after the jump (top ${top})`);

      const highlighted = page.locator('pre.hl-code span[class^="l"]');
      assert.ok((await highlighted.count()) > 10, 'code blocks carry highlight classes');
      // highlight.css applies: some tokens are coloured differently from plain code.
      const coloured = await page.evaluate(() => {
        let count = 0;
        for (const pre of document.querySelectorAll('pre.code')) {
          const base = getComputedStyle(pre).color;
          count += [...pre.querySelectorAll('span')].filter((s) => getComputedStyle(s).color !== base).length;
        }
        return count;
      });
      assert.ok(coloured > 0, 'no token is coloured differently from the code (highlight.css missing?)');

      const badges = page.locator('.badge-unconfirmed');
      assert.ok((await badges.count()) >= 1, 'unconfirmed badges');
      assert.ok(await badges.first().isVisible(), 'the badge is visible');
      assert.equal((await badges.first().textContent()).trim(), 'unconfirmed');
    },
  },
  {
    name: 'skip link is the first focusable element and moves focus to #main',
    fn: async ({ page, baseUrl }) => {
      await goto(page, baseUrl + SESSION);
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => ({
        cls: document.activeElement?.className,
        href: document.activeElement?.getAttribute('href'),
      }));
      assert.deepEqual(focused, { cls: 'skip-link', href: '#main' });
      const box = await page.locator('.skip-link').boundingBox();
      assert.ok(box && box.y >= 0 && box.height > 0, `the focused skip link is on screen (${JSON.stringify(box)})`);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.id === 'main');
      assert.equal(new URL(page.url()).hash, '#main');
      // The next Tab continues inside the main content, not back in the header.
      await page.keyboard.press('Tab');
      const inMain = await page.evaluate(() => document.getElementById('main').contains(document.activeElement));
      assert.ok(inMain, 'focus continues inside #main');
    },
  },
  {
    name: 'a missing URL returns 404 and shows "Page not found"',
    // Chromium logs the 404 of the document itself as a console error.
    allowConsoleErrors: [/status of 404/],
    fn: async ({ page, baseUrl }) => {
      const res = await goto(page, `${baseUrl}no-such-session/`);
      assert.equal(res.status(), 404);
      assert.equal((await page.locator('h1').first().textContent()).trim(), 'Page not found');
      // The 404 page is served at any depth, so its stylesheet links must be absolute.
      const { bg } = await pageColours(page);
      assert.notEqual(bg, 'rgba(0, 0, 0, 0)', 'site.css applies on the 404 page');
    },
  },
  {
    name: 'speakers are listed with each affiliation once and a labelled session count',
    fn: async ({ page, baseUrl }) => {
      await goto(page, `${baseUrl}speakers/`);
      const counts = await page.locator('.speaker-list .count').allTextContents();
      assert.ok(counts.length > 20, `${counts.length} speakers`);
      for (const text of counts) assert.match(text, /^\d+ sessions?$/);
      const diogo = page.locator('.speaker-list li').filter({ hasText: 'Diogo Mónica' });
      assert.equal(await diogo.locator('.meta').textContent(), 'Docker (Security Lead)');
      assert.equal(await diogo.locator('.count').textContent(), '2 sessions');
      await goto(page, `${baseUrl}speakers/diogo-monica/`);
      assert.equal(await page.locator('main > .meta').textContent(), 'Docker (Security Lead)');
      // The tag cloud shows bare counts; a screen reader hears what they count.
      await goto(page, `${baseUrl}tags/`);
      const ipvs = page.locator('.tag-cloud a').filter({ hasText: /^ipvs\b/ });
      assert.match(await ipvs.textContent(), /^ipvs \d+ sessions?$/);
      assert.equal(await ipvs.locator('.visually-hidden').evaluate((el) => el.getBoundingClientRect().width), 1, 'the word is not shown');
    },
  },
  {
    name: 'the footer ends the page, at the bottom of the viewport when the page is short',
    fn: async ({ page, baseUrl }) => {
      for (const viewport of [{ width: 1280, height: 800 }, PHONE]) {
        await page.setViewportSize(viewport);
        for (const url of ['404.html', 'speakers/', 'speakers/diogo-monica/', SESSION]) {
          await goto(page, baseUrl + url);
          const { footerBottom, height } = await page.evaluate(() => ({
            footerBottom: Math.round(document.querySelector('.site-footer').getBoundingClientRect().bottom + window.scrollY),
            height: document.documentElement.scrollHeight,
          }));
          const at = `/${url} at ${viewport.width}x${viewport.height}`;
          assert.equal(footerBottom, height, `${at}: nothing below the footer`);
          if (url === '404.html') assert.equal(height, viewport.height, `${at}: a short page fills the viewport, no more`);
        }
      }
    },
  },
  {
    name: 'no horizontal overflow at phone width (390px)',
    viewport: PHONE,
    fn: async ({ page, baseUrl, artifacts }) => {
      for (const url of ['', SESSION, 'internals/cgroups-namespaces-petazzoni/', 'load-balancing/', 'speakers/', 'tags/']) {
        await goto(page, baseUrl + url);
        await page.screenshot({ path: artifacts.file(`${url.replace(/\W+/g, '-').replace(/-$/, '') || 'home'}.png`), fullPage: true });
        const { scrollWidth, widest } = await page.evaluate(() => {
          const width = document.documentElement.clientWidth;
          let widest = null;
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && (!widest || r.right > widest.right)) {
              widest = { right: Math.round(r.right), tag: el.tagName.toLowerCase(), cls: el.className };
            }
          }
          return { scrollWidth: document.documentElement.scrollWidth, widest };
        });
        assert.ok(scrollWidth <= PHONE.width, `/${url}: scrollWidth ${scrollWidth} > ${PHONE.width} (widest: ${JSON.stringify(widest)})`);
      }
    },
  },
  {
    name: 'dark mode changes the page background and text colours',
    fn: async ({ page, baseUrl }) => {
      await page.emulateMedia({ colorScheme: 'light' });
      await goto(page, baseUrl + SESSION);
      const light = await pageColours(page);
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = await pageColours(page);
      assert.notEqual(dark.bg, light.bg, 'background colour');
      assert.notEqual(dark.fg, light.fg, 'text colour');
      // Dark means dark: the background's luminance drops.
      const lum = (rgb) => {
        const [r, g, b] = rgb.match(/\d+/g).map(Number);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      assert.ok(lum(dark.bg) < lum(light.bg), `dark ${dark.bg} is darker than light ${light.bg}`);
    },
  },
  {
    name: 'a demo in a write-up loads when it is scrolled near, and steps',
    viewport: { width: 1280, height: 720 },
    fn: async ({ page, baseUrl }) => {
      const fetched = [];
      page.on('request', (r) => {
        const path = new URL(r.url()).pathname;
        if (path.includes('/js/demos/') || path.endsWith('.wasm')) fetched.push(path);
      });
      await page.goto(new URL('internals/cgroups-namespaces-petazzoni/', baseUrl).href, { waitUntil: 'load' });
      await page.waitForTimeout(1000);
      const blocks = page.locator('[data-demo]');
      assert.ok((await blocks.count()) >= 2, 'the write-up embeds demos');
      assert.deepEqual(fetched, [], 'no demo below the fold is fetched at load');
      const first = blocks.first();
      const kind = await first.getAttribute('data-demo');
      await first.scrollIntoViewIfNeeded();
      await first.locator('[data-testid="step"]').waitFor({ state: 'visible' });
      assert.equal(await first.getAttribute('data-state'), 'ready');
      assert.deepEqual(fetched.sort(), [`/js/demos/${kind}.js`, '/js/demos/kit.js', '/wasm/demos_bg.wasm'].sort());
      assert.equal(await blocks.last().getAttribute('data-state'), null, 'the demo further down waits');
      const before = Number(await first.getAttribute('data-step'));
      await first.locator('[data-testid="step"]').click();
      await page.waitForFunction(
        (n) => Number(document.querySelector('[data-demo]').dataset.step) === n,
        before + 1,
      );
    },
  },
];
