// The IPVS demo in the browser: its page loads the wasm, steps match the native `sim ipvs`
// trace record for record, the controls change the state as the native model does, the
// scenario picker, the embed page (alone and in an iframe) and bad embed parameters.

import assert from 'node:assert/strict';

import { nativeTrace } from '../lib/sim.mjs';

const PAGE = 'demos/ipvs/';
const EMBED = 'demos/ipvs/embed/';
// The element the demo mounted in: the class ipvs.js gives its root, on the demo page, the
// embed page and a custom element alike.
const ROOT = '.ipvs-demo';
const PHONE = { width: 390, height: 844 };

const q = (testid) => `${ROOT} [data-testid="${testid}"]`;

async function open(page, baseUrl, scenario) {
  const res = await page.goto(baseUrl + PAGE, { waitUntil: 'load' });
  assert.equal(res.status(), 200, `GET /${PAGE}`);
  await page.waitForFunction((sel) => document.querySelector(sel)?.demo, ROOT);
  if (scenario) await pick(page, scenario);
}

async function pick(page, name) {
  await page.selectOption(q('scenario'), name);
  await page.waitForFunction(([sel, n]) => document.querySelector(sel).dataset.loaded === n, [ROOT, name]);
  assert.equal(await data(page, 'step'), '0', `${name} starts at step 0`);
}

function data(page, key, sel = ROOT) {
  return page.evaluate(([s, k]) => document.querySelector(s).dataset[k], [sel, key]);
}

async function step(page, n) {
  const start = Number(await data(page, 'step'));
  for (let i = 0; i < n; i++) await page.click(q('step'));
  await page.waitForFunction(([sel, want]) => document.querySelector(sel).dataset.step === want, [ROOT, String(start + n)]);
}

function lastRecord(page, sel = ROOT) {
  return page.evaluate((s) => document.querySelector(s).demo.lastRecord, sel);
}

function text(page, testid) {
  return page.locator(q(testid)).textContent();
}

/** The names on the chips of a pick strip, in order. */
function chips(page, testid) {
  return page.evaluate((sel) => Array.from(document.querySelector(sel).querySelectorAll('.ipvs-chip'), (c) => c.textContent), q(testid));
}

/** A destination row's cells, by class. */
function row(page, name) {
  return page.evaluate(
    ([sel, n]) => {
      const tr = Array.from(document.querySelectorAll(`${sel} tr[data-dest]`)).find((r) => r.dataset.dest === n);
      if (!tr) return null;
      const cell = (c) => tr.querySelector(`.${c}`).textContent;
      return { weight: cell('ipvs-w'), active: cell('ipvs-active'), inactive: cell('ipvs-inactive'), flags: cell('ipvs-flags') };
    },
    [ROOT, name],
  );
}

/** Checks the demo's last record and the dest table against native record `rec`. */
async function sameAsNative(page, rec, what) {
  assert.deepEqual(await lastRecord(page), rec, `${what}: the record equals the native trace's`);
  for (const d of rec.dests ?? []) {
    const r = await row(page, d.name);
    assert.ok(r, `${what}: a row for ${d.name}`);
    assert.deepEqual([r.weight, r.active, r.inactive], [String(d.weight), String(d.active), String(d.inactive)], `${what}: ${d.name}'s weight/active/inactive`);
  }
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function withoutTable(rec) {
  const { table, ...rest } = rec;
  return { rest, table };
}

export const tests = [
  {
    name: 'the demo page loads its wasm as application/wasm and mounts',
    fn: async ({ page, baseUrl }) => {
      const wasm = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('.wasm'));
      await open(page, baseUrl);
      const res = await wasm;
      assert.equal(res.status(), 200);
      assert.equal(res.headers()['content-type'], 'application/wasm');
      assert.equal(await data(page, 'state'), 'ready');
      assert.equal(await data(page, 'step'), '0');
      assert.ok(Number(await data(page, 'remaining')) > 0, 'scripted steps remain');
      for (const id of ['step', 'play', 'reset', 'scenario', 'status', 'state']) {
        assert.ok(await page.locator(q(id)).isVisible(), `${id} is visible`);
      }
      const options = await page.locator(`${q('scenario')} option`).count();
      assert.ok(options >= 20, `the picker lists the curated scenarios (${options})`);
      await page.locator(`${ROOT} .ipvs-help summary`).click();
      await page.locator(`${ROOT} .ipvs-help li`).first().waitFor();
      const items = await page.locator(`${ROOT} .ipvs-help li`).allTextContents();
      assert.ok(items.length >= 8, `help lists the simplifications (${items.length})`);
      assert.ok(items.some((t) => t.includes('head of the list')), 'help states head insertion');
    },
  },
  {
    name: 'steps of wrr-5-1-1 show the native records: bursty picks and cw/mw/di',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'wrr-5-1-1');
      await open(page, baseUrl, 'wrr-5-1-1');
      await step(page, 4);
      await sameAsNative(page, native[3], 'after 4 steps');
      assert.match(await text(page, 'wrr'), new RegExp(`cw ${native[3].cw} · mw ${native[3].mw} · di ${native[3].di}`));
      assert.match(await text(page, 'command'), /ipvsadm -E -t 10\.0\.0\.100:80 -s wrr/);
      await step(page, 1);
      await sameAsNative(page, native[4], 'after 5 steps');
      assert.deepEqual(await chips(page, 'picks'), native[4].picks);
      assert.equal(native[4].picks.join(''), 'AAAAABCAAAAABC', 'the kernel WRR is bursty');
      assert.match(await text(page, 'wrr'), new RegExp(`cw ${native[4].cw} · mw ${native[4].mw} · di ${native[4].di} · cursor ${native[4].cursor}`));
      assert.equal(await data(page, 'remaining'), '0');
      assert.ok(await page.locator(q('step')).isDisabled(), 'step is disabled at the end');
      assert.ok(await page.locator(q('play')).isDisabled(), 'so is play, as in the other demos');
    },
  },
  {
    name: 'steps of nq-tcp-lifecycle, thresholds and weight-zero-quiesce match native counters',
    timeout: 30000,
    fn: async ({ page, baseUrl }) => {
      await open(page, baseUrl);
      for (const name of ['nq-tcp-lifecycle', 'thresholds', 'weight-zero-quiesce']) {
        const native = await nativeTrace('ipvs', name);
        await pick(page, name);
        for (let i = 0; i < native.length; i++) {
          await step(page, 1);
          await sameAsNative(page, native[i], `${name} step ${i + 1}`);
          if (native[i].error) assert.match(await text(page, 'status'), new RegExp(escapeRe(native[i].error)));
          for (const d of native[i].dests) {
            if (d.overloaded) assert.match((await row(page, d.name)).flags, /OVERLOAD/, `${name} step ${i + 1}: ${d.name} shows OVERLOAD`);
          }
        }
      }
    },
  },
  {
    name: 'building a wrr service with the controls and sending a burst gives the native picks',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'wrr-incremental');
      await open(page, baseUrl, 'wrr-incremental');
      const form = (label) => page.locator(`${ROOT} .ipvs-side input[aria-label="${label}"]`);
      for (const [name, weight] of [['A', 4], ['B', 3], ['C', 2]]) {
        await form('Destination name').fill(name);
        await form('Destination address ip:port').fill(`10.0.0.${name.charCodeAt(0) - 64}:80`);
        await form('Weight').fill(String(weight));
        await page.click(q('add-dest'));
      }
      const built = await lastRecord(page);
      assert.deepEqual(built.dests, native[2].dests, 'the same destination list (head insertion: C B A)');
      await form('Burst size').fill('12');
      await page.click(q('send-burst'));
      const rec = await lastRecord(page);
      assert.deepEqual(rec.picks, native[3].picks, 'the burst picks what the native schedule op picks');
      assert.deepEqual(await chips(page, 'picks'), native[3].picks);
      for (const d of rec.dests) {
        const picked = native[3].picks.filter((p) => p === d.name).length;
        assert.equal(d.inactive, picked, `${d.name}: each new TCP connection counts inactive`);
        assert.equal((await row(page, d.name)).inactive, String(picked), `${d.name}'s inactive cell`);
      }
      assert.equal(await data(page, 'step'), '4');
    },
  },
  {
    name: 'controls reproduce lc-active-inactive: one active weighs 256 inactive',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'lc-active-inactive');
      await open(page, baseUrl, 'lc-active-inactive');
      await step(page, 2);
      await page.click(q('send-one'));
      assert.match(await page.locator(`${ROOT} p.ipvs-line`).first().textContent(), / · 2 destinations · 1 connection · clock /);
      const conn = (await lastRecord(page)).conns[0];
      await page.selectOption(`${ROOT} select[aria-label="Connection"]`, conn);
      await page.click(`${ROOT} button[aria-label="Established (counted active)"]`);
      assert.deepEqual((await lastRecord(page)).dests, native[2].dests, 'new + est = the native open');
      await page.locator(`${ROOT} input[aria-label="Burst size"]`).fill('257');
      await page.click(q('send-burst'));
      const rec = await lastRecord(page);
      assert.deepEqual(rec.picks, native[3].picks);
      assert.deepEqual(rec.dests, native[3].dests);
      assert.deepEqual(await row(page, 'B'), { weight: '1', active: '0', inactive: '256', flags: '' });
      assert.deepEqual(await row(page, 'A'), { weight: '1', active: '1', inactive: '1', flags: '' });
      assert.match(await text(page, 'status'), /new ui\d+ ×257 → B B B/);
    },
  },
  {
    name: 'mh-default-table: the flag boxes follow the service, a freed destination keeps its address in ipvsadm',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'mh-default-table');
      await open(page, baseUrl, 'mh-default-table');
      const fallback = page.locator(`${ROOT} label.ipvs-check`, { hasText: 'mh-fallback' }).locator('input');
      await step(page, 10);
      assert.equal(await fallback.isChecked(), false);
      await step(page, 1);
      await sameAsNative(page, native[10], 'edit_service');
      assert.deepEqual(native[10].flags, ['mh-fallback']);
      assert.equal(await fallback.isChecked(), true, 'the box shows the flag the scenario set');
      assert.equal(await text(page, 'command'), '# ipvsadm -E -t 10.0.0.100:80 -s mh -b mh-fallback');
      await step(page, 2);
      await sameAsNative(page, native[12], 'del_dest');
      assert.deepEqual(native[12].trash, [], 'B had no connection: freed, not in the trash');
      assert.equal(await text(page, 'command'), '# ipvsadm -d -t 10.0.0.100:80 -r 10.0.0.2:80');
    },
  },
  {
    name: 'a bad field shows its message and changes nothing; a kernel error is recorded',
    fn: async ({ page, baseUrl }) => {
      await open(page, baseUrl, 'wrr-incremental');
      await page.locator(`${ROOT} input[aria-label="Weight"]`).fill('x');
      await page.click(q('add-dest'));
      assert.match(await text(page, 'status'), /^Not applied: op\.weight: invalid type: string "x"/);
      assert.equal(await data(page, 'step'), '0', 'nothing applied');
      assert.equal(await page.locator(q('status')).getAttribute('role'), 'status');
      await page.locator(`${ROOT} input[aria-label="Weight"]`).fill('1');
      await page.locator(`${ROOT} input[aria-label="Destination address ip:port"]`).fill('10.0.0.2');
      await page.click(q('add-dest'));
      assert.match(await text(page, 'status'), /bad address "10\.0\.0\.2": expected an IPv4 address and port/);
      const rec = await lastRecord(page);
      assert.match(rec.error, /bad address/);
      assert.deepEqual(rec.dests, []);
      // A refused burst is reported as refused, not as a pick of no destination.
      await page.locator(`${ROOT} input[aria-label="Burst size"]`).fill('0');
      await page.click(q('send-burst'));
      assert.equal((await lastRecord(page)).error, 'count 0 is out of range 1..=10000');
      assert.equal(await text(page, 'status'), 'new: count 0 is out of range 1..=10000');
    },
  },
  {
    name: 'smooth-wrr-5-1-1 runs the kernel wrr beside nginx smooth WRR',
    fn: async ({ page, baseUrl }) => {
      const smooth = await nativeTrace('ipvs', 'smooth-wrr-5-1-1');
      const kernel = await nativeTrace('ipvs', 'wrr-5-1-1');
      await open(page, baseUrl, 'smooth-wrr-5-1-1');
      await step(page, 2);
      assert.deepEqual(await lastRecord(page), smooth[1]);
      const smoothRow = await chips(page, 'compare-smooth');
      assert.deepEqual(smoothRow, [...smooth[0].sequence, ...smooth[1].sequence]);
      assert.equal(smoothRow.slice(0, 7).join(''), 'AABACAA', 'nginx interleaves');
      assert.deepEqual(await chips(page, 'compare-kernel'), kernel[4].picks, 'the kernel row is the native wrr-5-1-1 trace');
      await step(page, 2);
      assert.deepEqual(await lastRecord(page), smooth[3]);
      assert.deepEqual((await chips(page, 'compare-smooth')).slice(-9), smooth[3].sequence);
      const peers = await page.locator(`${ROOT} tr[data-peer="C"] td`).allTextContents();
      assert.deepEqual(peers, ['3', '3', '0'], 'C after the reload: weight 3, effective 3, current 0');
    },
  },
  {
    name: 'maglev-paper-m7 fills the table slot by slot and marks the moved entries',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'maglev-paper-m7');
      await open(page, baseUrl, 'maglev-paper-m7');
      // Every text the fill line shows, from before the click to the end of the animation.
      await page.evaluate((sel) => {
        const el = document.querySelector(sel);
        window.fillTexts = [];
        new MutationObserver(() => window.fillTexts.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
      }, q('fill'));
      await page.click(q('step'));
      await page.waitForFunction((sel) => document.querySelector(sel).textContent.startsWith('Populated'), q('fill'), { timeout: 8000 });
      const texts = await page.evaluate(() => window.fillTexts);
      assert.match(texts[0], /^round 0: B0 takes slot 3 \(1 \/ 7\)$/, 'the first claim is shown first');
      assert.ok(texts.length >= 3, `the table fills in several frames (${texts.length} texts)`);
      assert.equal(texts[texts.length - 1], 'Populated: 7 claims in 3 rounds, 5 filled preferences skipped');
      const first = withoutTable(native[0]);
      assert.deepEqual(await lastRecord(page), first.rest);
      assert.deepEqual(await page.evaluate((s) => document.querySelector(s).demo.frame(), ROOT), first.table, 'the frame is the table');
      assert.equal(await text(page, 'table-text'), 'slots 0…6: B1 B0 B1 B0 B2 B2 B0', 'the paper’s Table 1');
      await step(page, 2);
      const third = withoutTable(native[2]);
      assert.deepEqual(await lastRecord(page), third.rest);
      assert.deepEqual(await page.evaluate((s) => document.querySelector(s).demo.frame(), ROOT), third.table);
      assert.equal(await text(page, 'table-text'), 'slots 0…6: B0 B0 B0 B0 B2 B2 B2');
      assert.match(await text(page, 'disruption'), /^Removing B1 moved 3 entries \(42\.9 % of the table\); 2 \(28\.6 %\) had to move/);
      await page.locator(`${ROOT} input[aria-label="Flow key"]`).fill('10.0.0.1:51000');
      await page.click(q('lookup-btn'));
      const rec = await lastRecord(page);
      assert.match(await text(page, 'lookup'), new RegExp(`slot ${rec.slot} → ${rec.backend}$`));
    },
  },
  {
    name: 'gorb-failing-backend: the weight drops to 0 and climbs back as the pulse recovers',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'gorb-failing-backend');
      await open(page, baseUrl, 'gorb-failing-backend');
      const weight = () => page.locator(`${q('backend-web-1')} [data-testid="weight"]`).textContent();
      for (let i = 0; i < native.length; i++) {
        await step(page, 1);
        assert.deepEqual(await lastRecord(page), native[i], `step ${i + 1}`);
        const b = native[i].backends.find((x) => x.rs_id === 'web-1');
        if (b) assert.equal(await weight(), String(b.options.weight), `step ${i + 1}: web-1's weight`);
        const op = native[i].op;
        if (op.op === 'pulse') {
          const checks = `${op.count ?? 1} check${(op.count ?? 1) === 1 ? '' : 's'}`;
          assert.equal(await page.locator(`${ROOT} .ipvs-cmd`).textContent(), `(pulse: ${checks} of ${op.rs_id} ${[1, 'down'].includes(op.result) ? 'fails' : 'succeeds'})`, `step ${i + 1}`);
        }
      }
      assert.equal(native[6].backends[0].options.weight, 0, 'a Down zeroes the weight');
      await page.selectOption(`${ROOT} select[aria-label="Backend"]`, 'web-1');
      await page.click(q('pulse-down'));
      let rec = await lastRecord(page);
      assert.equal(rec.checks[0].action, 'stashed');
      assert.equal(await weight(), '0');
      await page.click(q('pulse-up'));
      rec = await lastRecord(page);
      const web1 = rec.backends.find((x) => x.rs_id === 'web-1');
      assert.equal(web1.options.weight, Math.trunc(100 * web1.metrics.health), 'weight = ⌊stash × health⌋');
      assert.equal(await weight(), String(web1.options.weight));
      assert.match(await text(page, 'status'), /pulse web-1 up ×1 → reweighted/);
    },
  },
  {
    name: 'keyboard: Shift+Tab reaches Step, Enter steps, Space plays to the end',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'wrr-bound-late');
      await open(page, baseUrl, 'wrr-bound-late');
      await page.selectOption(`${ROOT} select[aria-label="Speed (steps per second)"]`, '8');
      await page.focus(q('reset'));
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Shift+Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'step');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      assert.notEqual(outline, 'none', 'the focused button has a visible outline');
      await page.keyboard.press('Enter');
      await page.waitForFunction((sel) => document.querySelector(sel).dataset.step === '1', ROOT);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Space');
      assert.equal(await page.locator(q('play')).getAttribute('aria-pressed'), 'true');
      await page.waitForFunction((sel) => document.querySelector(sel).dataset.remaining === '0', ROOT, { timeout: 8000 });
      assert.deepEqual(await lastRecord(page), native[native.length - 1]);
      await page.waitForFunction((sel) => document.querySelector(sel).getAttribute('aria-pressed') === 'false', q('play'));
      await page.click(q('reset'));
      assert.equal(await data(page, 'step'), '0');
      assert.equal(await lastRecord(page), null);
    },
  },
  {
    name: 'the embed page applies ?scenario=wrr-5-1-1&step=3 in the compact layout',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'wrr-5-1-1');
      await page.setViewportSize({ width: 960, height: 540 });
      await page.goto(`${baseUrl}${EMBED}?scenario=wrr-5-1-1&step=3`, { waitUntil: 'load' });
      await page.waitForFunction((sel) => document.querySelector(sel)?.demo, ROOT);
      assert.equal(await data(page, 'step'), '3');
      assert.deepEqual(await lastRecord(page), native[2]);
      assert.ok(await page.locator(`${ROOT}.ipvs-embed`).count(), 'compact layout');
      await step(page, 2);
      assert.deepEqual(await lastRecord(page), native[4]);
      assert.deepEqual(await chips(page, 'picks'), native[4].picks);
    },
  },
  {
    name: 'the embed page works inside an iframe',
    fn: async ({ page, baseUrl }) => {
      const native = await nativeTrace('ipvs', 'maglev-paper-m7');
      const src = `${baseUrl}${EMBED}?scenario=maglev-paper-m7&step=3`;
      await page.setContent(`<!doctype html><title>deck</title><iframe title="IPVS demo" src="${src}" width="960" height="540" style="border:0"></iframe>`);
      const frame = page.frameLocator('iframe');
      await frame.locator(`${ROOT}[data-loaded="maglev-paper-m7"]`).waitFor();
      const f = page.frames().find((x) => x.url().startsWith(src.split('?')[0]));
      assert.ok(f, 'the iframe navigated to the embed page');
      assert.equal(await data(f, 'step'), '3');
      assert.deepEqual(await lastRecord(f), withoutTable(native[2]).rest);
      assert.equal(await frame.locator(`[data-testid="table-text"]`).textContent(), 'slots 0…6: B0 B0 B0 B0 B2 B2 B2');
      await frame.locator('[data-testid="step"]').click();
      await f.waitForFunction((sel) => document.querySelector(sel).dataset.step === '4', ROOT);
      assert.deepEqual(await lastRecord(f), withoutTable(native[3]).rest);
      await f.waitForFunction(() => document.querySelector('[data-testid="fill"]').textContent.startsWith('Populated'), null, { timeout: 8000 });
    },
  },
  {
    name: 'bad embed parameters show a clear message and inject no element',
    fn: async ({ page, baseUrl }) => {
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs += 1;
        d.dismiss();
      });
      const cases = [
        [`scenario=${encodeURIComponent('<img src=x onerror=alert(1)>')}`, /Invalid scenario name/],
        ['scenario=wrr-5-1-1&step=99999', /Invalid step “99999”: expected a whole number from 0 to 5 for wrr-5-1-1/],
        ['scenario=nope', /Unknown ipvs scenario “nope”/],
      ];
      for (const [query, message] of cases) {
        await page.goto(`${baseUrl}${EMBED}?${query}`, { waitUntil: 'load' });
        const alert = page.locator('.demo-root [role="alert"]');
        await alert.waitFor();
        assert.match(await alert.textContent(), message, query);
        assert.ok(await alert.isVisible(), `${query}: the message is visible`);
        assert.equal(await page.locator('img').count(), 0, `${query}: no <img> injected`);
        assert.equal(await page.locator('.ipvs-state').count(), 0, `${query}: no demo mounted`);
      }
      assert.equal(dialogs, 0, 'no script ran');
    },
  },
  {
    name: 'the demo does not overflow at phone width (kernel, Maglev, GORB, smooth WRR views)',
    viewport: PHONE,
    fn: async ({ page, baseUrl, artifacts }) => {
      await open(page, baseUrl);
      for (const [name, n] of [['nq-tcp-lifecycle', 6], ['maglev-remove-backend', 2], ['gorb-flapping', 5], ['smooth-wrr-5-1-1', 2]]) {
        await pick(page, name);
        await step(page, n);
        await page.screenshot({ path: artifacts.file(`${name}.png`), fullPage: true });
        // Wide tables scroll inside their own .ipvs-scroll box; nothing else may stick out.
        const { scrollWidth, clientWidth, widest } = await page.evaluate((sel) => {
          const root = document.querySelector(sel);
          const width = document.documentElement.clientWidth;
          let widest = null;
          for (const el of root.querySelectorAll('*')) {
            if (el.parentElement.closest('.ipvs-scroll')) continue;
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && (!widest || r.right > widest.right)) widest = { right: Math.round(r.right), tag: el.tagName.toLowerCase(), cls: String(el.className) };
          }
          return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, widest };
        }, ROOT);
        assert.equal(widest, null, `${name}: an element of the demo ends past the ${PHONE.width}px viewport`);
        assert.ok(scrollWidth <= clientWidth, `${name}: the demo scrolls sideways (${scrollWidth} > ${clientWidth})`);
      }
    },
  },
];
