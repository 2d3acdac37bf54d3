// The cgroups demo: its page loads the wasm, every click shows what the native `sim cgroups`
// runner predicts for the same scenario, the controls drive the same model, the embed page
// works alone and in an iframe, and bad URL parameters show a message without injecting markup.
//
// The native traces come from `nativeTrace` (cargo run -p wasm-demos --bin sim).

import assert from 'node:assert/strict';

import { nativeTrace } from '../lib/sim.mjs';

const KIND = 'cgroups';
const PAGE = `demos/${KIND}/`;
const EMBED = `demos/${KIND}/embed/`;
const PHONE = { width: 390, height: 844 };
const MiB = 1024 * 1024;

function native(name) {
  return nativeTrace(KIND, name);
}

/** A native record as the browser gets it: a run's timeline travels in the frame instead. */
function withoutTimeline(record) {
  const { timeline, ...rest } = record;
  return rest;
}

function withoutOp(record) {
  const { op, ...rest } = withoutTimeline(record);
  return rest;
}

const root = (page) => page.locator('.cg-demo');
const testid = (scope, id) => scope.locator(`[data-testid="${id}"]`);

async function stepOf(scope) {
  return Number(await root(scope).getAttribute('data-step'));
}

function lastRecord(page) {
  return page.evaluate(() => document.querySelector('.cg-demo').demo.lastRecord);
}

/**
 * The demo's last timeline in the native trace's shape, decoded from the frame the demo copied
 * (4 u32 per span: cpu, start ms, length ms, slot; two slots mean throttled and idle).
 */
async function shownTimeline(page) {
  const tl = await page.evaluate(() => document.querySelector('.cg-demo').demo.timeline);
  if (!tl) return null;
  const cpus = Array.from({ length: tl.ncpus }, () => []);
  const f = tl.spans;
  for (let i = 0; i + 3 < f.length; i += 4) {
    const run = f[i + 3] === 0xffffffff ? 'throttled' : f[i + 3] === 0xfffffffe ? 'idle' : f[i + 3];
    (cpus[f[i]] ??= []).push({ ms: f[i + 2], run });
  }
  return { cpus, start_ms: tl.start, truncated: tl.truncated };
}

/** The text of one value the state view shows, e.g. ('/web', 'cpu.stat:nr_periods'). */
function shown(scope, cgroup, key) {
  return scope.locator(`[data-testid="state"] .cg-val[data-cgroup="${cgroup}"][data-key="${key}"]`).textContent();
}

/** Opens the demo page and picks `scenario` (fresh, at step 0). Returns the wasm response. */
async function openDemo(page, baseUrl, scenario) {
  const wasm = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('.wasm'));
  const res = await page.goto(baseUrl + PAGE, { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  await testid(page, 'step').waitFor();
  if (scenario && (await testid(page, 'scenario').inputValue()) !== scenario) {
    await testid(page, 'scenario').selectOption(scenario);
    await page.waitForFunction(
      (s) => {
        const r = document.querySelector('.cg-demo');
        return r?.dataset.scenario === s && r.dataset.step === '0';
      },
      scenario,
    );
  }
  return wasm;
}

async function clickStep(page, n) {
  for (let i = 0; i < n; i++) await testid(page, 'step').click();
}

export const tests = [
  {
    name: 'demo page loads its wasm and each step shows the native trace',
    // The first native trace may have to build the `sim` binary.
    timeout: 240_000,
    fn: async ({ page, baseUrl, artifacts }) => {
      const wasm = await openDemo(page, baseUrl, 'cpu-quota-half');
      const wasmRes = await wasm;
      assert.equal(wasmRes.status(), 200);
      assert.equal(wasmRes.headers()['content-type'], 'application/wasm');
      const trace = await native('cpu-quota-half');
      assert.equal(Number(await root(page).getAttribute('data-remaining')), trace.length);
      await clickStep(page, 2);
      assert.equal(await stepOf(page), 2);
      assert.deepEqual(await lastRecord(page), withoutTimeline(trace[1]));
      assert.deepEqual(await shownTimeline(page), trace[1].timeline, 'the frame decodes to the native timeline');
      const stat = trace[1].cgroups['/web']['cpu.stat'];
      assert.equal(await shown(page, '/web', 'cpu.stat:nr_periods'), String(stat.nr_periods));
      assert.equal(await shown(page, '/web', 'cpu.stat:nr_throttled'), String(stat.nr_throttled));
      assert.equal(await shown(page, '/web', 'cpu.stat:throttled_usec'), String(stat.throttled_usec));
      assert.equal(await shown(page, '/web', 'cpu.stat:usage_usec'), String(stat.usage_usec));
      assert.match(await testid(page, 'status').textContent(), /run 1000 ms/);
      const label = await testid(page, 'timeline').getAttribute('aria-label');
      assert.match(label, /\/web ran 500 ms, throttled 500 ms/);
      await page.waitForTimeout(1000); // the timeline's reveal animation
      await page.screenshot({ path: artifacts.file('timeline.png'), fullPage: true });
      await clickStep(page, 1);
      assert.deepEqual(await lastRecord(page), withoutTimeline(trace[2]));
      assert.match(await page.locator('.cg-content').textContent(), /cat \/sys\/fs\/cgroup\/web\/cpu\.stat\nusage_usec 500000/);
      assert.ok(await testid(page, 'step').isDisabled(), 'step is disabled at the end');
      assert.ok(await testid(page, 'play').isDisabled(), 'and play');
      assert.equal(await root(page).getAttribute('data-remaining'), '0');
    },
  },
  {
    name: 'every curated scenario replays exactly like the native runner',
    timeout: 120_000,
    fn: async ({ page, baseUrl }) => {
      await openDemo(page, baseUrl);
      const names = await testid(page, 'scenario').evaluate((s) => [...s.options].map((o) => o.value));
      assert.ok(names.length >= 17, `curated scenarios: ${names.length}`);
      for (const name of names) {
        // Selecting the scenario already shown reloads it asynchronously: a race with Step.
        if ((await testid(page, 'scenario').inputValue()) !== name) {
          await testid(page, 'scenario').selectOption(name);
        }
        await page.waitForFunction((s) => document.querySelector('.cg-demo')?.dataset.scenario === s, name);
        await page.waitForFunction(() => document.querySelector('.cg-demo').dataset.step === '0');
        const trace = await native(name);
        assert.equal(await root(page).getAttribute('data-remaining'), String(trace.length), name);
        for (let i = 0; i < trace.length; i++) {
          await testid(page, 'step').click();
          assert.deepEqual(await lastRecord(page), withoutTimeline(trace[i]), `${name} record ${i}`);
          if (trace[i].timeline) assert.deepEqual(await shownTimeline(page), trace[i].timeline, `${name} timeline ${i}`);
        }
        const version = 'memory.limit_in_bytes' in trace[0].cgroups['/'] ? 1 : 2;
        assert.equal((await page.locator('.cg-version').textContent()).trim(), `cgroup v${version}`, name);
      }
    },
  },
  {
    name: 'memory: the OOM kill and memory.events match the model, v1 names on a v1 scenario',
    fn: async ({ page, baseUrl, artifacts }) => {
      await openDemo(page, baseUrl, 'memory-oom-kill');
      const trace = await native('memory-oom-kill');
      await clickStep(page, 6);
      const rec = trace[5];
      assert.deepEqual(rec.killed, [100]);
      assert.deepEqual(await lastRecord(page), withoutTimeline(rec));
      const ev = rec.cgroups['/app']['memory.events'];
      assert.equal(await shown(page, '/app', 'memory.events:oom_kill'), String(ev.oom_kill));
      assert.equal(await shown(page, '/app', 'memory.events:max'), String(ev.max));
      assert.equal(await shown(page, '/app', 'memory.current'), `${rec.cgroups['/app']['memory.current'] / MiB} MiB`);
      assert.match(await page.locator('.cg-card[data-cgroup="/app"] .cg-badge').textContent(), /OOM kill: pid 100/);
      assert.match(await page.locator('.cg-chip[data-pid="100"]').textContent(), /oom killed/);
      await page.screenshot({ path: artifacts.file('oom.png'), fullPage: true });

      await testid(page, 'scenario').selectOption('memory-oom-disabled-v1');
      await page.waitForFunction(() => document.querySelector('.cg-demo').dataset.scenario === 'memory-oom-disabled-v1');
      assert.equal((await page.locator('.cg-version').textContent()).trim(), 'cgroup v1');
      const v1 = await native('memory-oom-disabled-v1');
      await clickStep(page, 3);
      assert.deepEqual(await lastRecord(page), withoutTimeline(v1[2]));
      assert.equal(v1[2].blocked, true);
      const oc = v1[2].cgroups['/app']['memory.oom_control'];
      assert.equal(await shown(page, '/app', 'memory.oom_control:under_oom'), String(oc.under_oom));
      assert.equal(await shown(page, '/app', 'memory.failcnt'), String(v1[2].cgroups['/app']['memory.failcnt']));
      assert.equal(await shown(page, '/app', 'memory.limit_in_bytes'), '50 MiB');
      assert.match(await testid(page, 'status').textContent(), /waits for memory/);
    },
  },
  {
    name: 'fork bomb: pids.max refuses forks with EAGAIN, counted like the model',
    fn: async ({ page, baseUrl, artifacts }) => {
      await openDemo(page, baseUrl, 'pids-fork-bomb');
      const trace = await native('pids-fork-bomb');
      await clickStep(page, trace.length);
      assert.deepEqual(await lastRecord(page), withoutTimeline(trace.at(-1)));
      const last = trace.at(-1).cgroups['/bomb'];
      assert.equal(await shown(page, '/bomb', 'pids.current'), String(last['pids.current']));
      assert.equal(await shown(page, '/bomb', 'pids.max'), String(last['pids.max']));
      assert.equal(await shown(page, '/bomb', 'pids.events:max'), String(last['pids.events'].max));
      const eagain = trace.reduce((n, r) => n + (r.fork_failed ?? 0) + (/^EAGAIN/.test(r.error ?? '') ? 1 : 0), 0);
      assert.equal(eagain, last['pids.events'].max, 'every refusal is a pids.events max');
      assert.match(await page.locator('.cg-forkstat').textContent(), new RegExp(`so far: ${eagain}\\b`));
      await page.screenshot({ path: artifacts.file('fork-bomb.png'), fullPage: true });
    },
  },
  {
    name: 'ulimit nproc: the per-user count is shared across containers',
    fn: async ({ page, baseUrl }) => {
      await openDemo(page, baseUrl, 'ulimit-nproc-per-user');
      const trace = await native('ulimit-nproc-per-user');
      await clickStep(page, 3);
      assert.match(trace[2].error, /^EAGAIN: RLIMIT_NPROC/);
      assert.deepEqual(await lastRecord(page), withoutTimeline(trace[2]));
      assert.match(await testid(page, 'status').textContent(), /EAGAIN: RLIMIT_NPROC/);
      const uid = page.locator('.cg-urow[data-uid="1000"]');
      assert.equal(await uid.locator('.cg-val').textContent(), String(trace[2].nproc['1000']));
      assert.match(await uid.textContent(), /nproc=5/);
      await clickStep(page, trace.length - 3);
      assert.deepEqual(await lastRecord(page), withoutTimeline(trace.at(-1)));
      assert.equal(await page.locator('.cg-urow[data-uid="1000"] .cg-val').textContent(), String(trace.at(-1).nproc['1000']));
    },
  },
  {
    name: 'controls: run, spawn, alloc, fork and write give the records of the native model',
    fn: async ({ page, baseUrl }) => {
      // The same ops as the scripted ones, entered through the controls: the state must be
      // the native trace's (the op itself is as the controls wrote it).
      await openDemo(page, baseUrl, 'memory-oom-kill');
      const oom = await native('memory-oom-kill');
      await testid(page, 'spawn-cgroup').selectOption('/app');
      await page.getByLabel('The new process is busy (wants the CPU)').uncheck();
      const spawn = async (i) => {
        await testid(page, 'spawn').click();
        assert.deepEqual(withoutOp(await lastRecord(page)), withoutOp(oom[i]), `spawn = record ${i}`);
      };
      const alloc = async (pid, mib, i) => {
        await testid(page, 'pid').selectOption(String(pid));
        await testid(page, 'alloc-mib').fill(String(mib));
        await testid(page, 'alloc').click();
        assert.deepEqual(await lastRecord(page), withoutTimeline(oom[i]), `alloc = record ${i}`);
      };
      await spawn(0);
      await alloc(100, 60, 1);
      await spawn(2);
      await alloc(101, 30, 3);
      await spawn(4);
      await alloc(102, 20, 5);
      assert.equal(await shown(page, '/app', 'memory.events:oom_kill'), '1');
      assert.equal(await stepOf(page), 6);

      await testid(page, 'scenario').selectOption('cpu-quota-half');
      await page.waitForFunction(() => document.querySelector('.cg-demo').dataset.scenario === 'cpu-quota-half');
      const cpu = await native('cpu-quota-half');
      await clickStep(page, 1);
      await testid(page, 'run-ms').fill('1000');
      await testid(page, 'run').click();
      assert.deepEqual(await lastRecord(page), withoutTimeline(cpu[1]));
      assert.deepEqual(await shownTimeline(page), cpu[1].timeline);
      assert.equal(await shown(page, '/web', 'cpu.stat:nr_throttled'), String(cpu[1].cgroups['/web']['cpu.stat'].nr_throttled));

      await testid(page, 'scenario').selectOption('pids-fork-bomb');
      await page.waitForFunction(() => document.querySelector('.cg-demo').dataset.scenario === 'pids-fork-bomb');
      const bomb = await native('pids-fork-bomb');
      await clickStep(page, 1);
      await testid(page, 'pid').selectOption('100');
      await testid(page, 'fork-count').fill('2');
      await testid(page, 'fork').click();
      assert.deepEqual(await lastRecord(page), withoutTimeline(bomb[1]));

      await testid(page, 'scenario').selectOption('pids-migration-not-blocked');
      await page.waitForFunction(() => document.querySelector('.cg-demo').dataset.scenario === 'pids-migration-not-blocked');
      const mig = await native('pids-migration-not-blocked');
      await clickStep(page, 7);
      await testid(page, 'write-cgroup').selectOption('/box');
      await testid(page, 'write-file').selectOption('pids.max');
      await testid(page, 'write-value').fill('1');
      await testid(page, 'write').click();
      assert.deepEqual(await lastRecord(page), withoutTimeline(mig[7]));
      assert.equal(await shown(page, '/box', 'pids.max'), '1');
      assert.equal(await shown(page, '/box', 'pids.current'), '3', 'lowering pids.max kills nothing');

      // A value the kernel refuses is the record's error; a malformed op is rejected whole.
      await testid(page, 'write-file').selectOption('cpu.max');
      await testid(page, 'write-value').fill('500 100000');
      await testid(page, 'write').click();
      assert.match((await lastRecord(page)).error, /^EINVAL/);
      assert.match(await testid(page, 'status').textContent(), /EINVAL/);
      await testid(page, 'run-ms').fill('0');
      await testid(page, 'run').click();
      assert.match((await lastRecord(page)).error, /outside 1\.\.=600000/);
      const before = await stepOf(page);
      const state = await lastRecord(page);
      await testid(page, 'run-ms').fill('99999999999999999999999');
      await testid(page, 'run').click();
      assert.match(await testid(page, 'status').textContent(), /^Rejected: op\.ms: /);
      await testid(page, 'run-ms').fill('-5');
      await testid(page, 'run').click();
      assert.equal(await testid(page, 'status').textContent(), 'Rejected: run ms: enter a whole number, 0 or more');
      assert.equal(await stepOf(page), before, 'a rejected op is not applied');
      assert.deepEqual(await lastRecord(page), state);
    },
  },
  {
    name: 'play, pause, reset and the keyboard',
    fn: async ({ page, baseUrl }) => {
      await openDemo(page, baseUrl, 'pids-fork-bomb');
      assert.match(await page.locator('.cg-note').textContent(), /^The fix that came after the talk: the pids controller \(pids\.max\)/);
      assert.match(await page.locator('.scenario-list').textContent(), /A fork bomb against pids\.max — .* The fix that came after the talk/);
      await testid(page, 'speed').selectOption('8');
      await testid(page, 'play').click();
      assert.equal(await testid(page, 'play').getAttribute('aria-pressed'), 'true');
      await page.waitForFunction(() => Number(document.querySelector('.cg-demo').dataset.step) >= 3);
      await testid(page, 'play').click();
      const paused = await stepOf(page);
      await page.waitForTimeout(600);
      assert.equal(await stepOf(page), paused, 'no step after pause');
      assert.equal(await testid(page, 'play').getAttribute('aria-pressed'), 'false');
      await testid(page, 'reset').click();
      assert.equal(await stepOf(page), 0);
      assert.equal(await page.locator('.cg-log li').count(), 0);

      // Keyboard only from here: back from Reset to Step.
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Shift+Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'step');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Space');
      assert.equal(await stepOf(page), 2);
      const focus = await page.evaluate(() => ({ id: document.activeElement?.dataset.testid, visible: document.activeElement?.matches(':focus-visible') }));
      assert.deepEqual(focus, { id: 'step', visible: true });
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'play');
      for (const id of ['step', 'play', 'reset', 'scenario', 'speed']) {
        const label = await testid(page, id).evaluate((e) => e.getAttribute('aria-label') || e.labels?.[0]?.textContent || '');
        assert.ok(label.trim(), `${id} has an accessible name`);
      }
      assert.equal(await testid(page, 'status').getAttribute('role'), 'status');
      await page.locator('details.cg-help summary').click();
      await page.locator('details.cg-help li').first().waitFor();
      const help = (await page.locator('details.cg-help').textContent()).toLowerCase();
      for (const word of ['1 ms ticks', 'load balancing', 'no swap', 'memory.high', 'zombies', 'writeback', 'subtree_control', 'pelt']) {
        assert.ok(help.includes(word), `the help states the simplification “${word}”`);
      }
    },
  },
  {
    name: 'no horizontal overflow at phone width',
    viewport: PHONE,
    fn: async ({ page, baseUrl, artifacts }) => {
      for (const [scenario, steps] of [['ulimit-nproc-per-user', 4], ['cpu-quota-multi-cpu', 2]]) {
        await openDemo(page, baseUrl, scenario);
        await clickStep(page, steps);
        await page.locator('details.cg-namesbox summary').click();
        await page.locator('details.cg-help summary').click();
        await page.locator('details.cg-help li').first().waitFor();
        // Nothing inside the demo reaches past the viewport (the names table scrolls in its box).
        const widest = await page.evaluate(() => {
          const width = document.documentElement.clientWidth;
          let worst = null;
          for (const el of document.querySelectorAll('.cg-demo, .cg-demo *')) {
            if (el.closest('.cg-names')) continue;
            const r = el.getBoundingClientRect();
            if (r.width && r.right > width + 1 && (!worst || r.right > worst.right)) {
              worst = { right: Math.round(r.right), tag: el.tagName.toLowerCase(), cls: String(el.className) };
            }
          }
          return { worst, width, namesRight: document.querySelector('.cg-names').getBoundingClientRect().right };
        });
        assert.equal(widest.worst, null, `${scenario}: overflowing the ${widest.width}px viewport: ${JSON.stringify(widest.worst)}`);
        assert.ok(widest.namesRight <= widest.width + 1, 'the names table scrolls inside its box');
        await page.screenshot({ path: artifacts.file(`${scenario}.png`), fullPage: true });
      }
      const box = await testid(page, 'timeline').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width + 1, `the timeline fits: ${JSON.stringify(box)}`);
    },
  },
  {
    name: 'embed page starts at the given step',
    viewport: { width: 960, height: 540 },
    fn: async ({ page, baseUrl }) => {
      const trace = await native('memory-oom-kill');
      await page.goto(`${baseUrl}${EMBED}?scenario=memory-oom-kill&step=3`);
      await page.waitForFunction(() => document.querySelector('.cg-demo')?.dataset.step === '3');
      assert.ok(await root(page).evaluate((e) => e.classList.contains('cg-embed')), 'compact layout');
      assert.deepEqual(await lastRecord(page), withoutTimeline(trace[2]));
      await clickStep(page, 3);
      assert.deepEqual(await lastRecord(page), withoutTimeline(trace[5]));
      assert.ok(await page.locator('.cg-card[data-cgroup="/app"] .cg-badge').isVisible(), 'the OOM kill is visible');
    },
  },
  {
    name: 'embed page works inside an iframe',
    fn: async ({ page, baseUrl }) => {
      const trace = await native('cpu-quota-multi-cpu');
      const src = `${baseUrl}${EMBED}?scenario=cpu-quota-multi-cpu&step=1`;
      await page.setContent(`<!doctype html><title>deck</title><iframe src="${src}" width="960" height="540" title="cgroups demo"></iframe>`);
      const frame = page.frameLocator('iframe');
      await frame.locator('.cg-demo[data-step="1"]').waitFor();
      await frame.locator('[data-testid="step"]').click();
      await frame.locator('.cg-demo[data-step="2"]').waitFor();
      const f = page.frames().find((x) => x.url().startsWith(src.split('?')[0]));
      assert.ok(f, 'the frame');
      assert.deepEqual(await f.evaluate(() => document.querySelector('.cg-demo').demo.lastRecord), withoutTimeline(trace[1]));
      const stat = trace[1].cgroups['/batch']['cpu.stat'];
      assert.equal(await frame.locator('.cg-val[data-cgroup="/batch"][data-key="cpu.stat:throttled_usec"]').textContent(), String(stat.throttled_usec));
      await page.waitForTimeout(1000); // let the timeline animation finish for the screenshot
    },
  },
  {
    name: 'the <cgroups-demo> element works on its reveal.js slide',
    viewport: { width: 1280, height: 720 },
    fn: async ({ page, baseUrl }) => {
      const res = await page.goto(`${baseUrl}demos/slides/`);
      assert.equal(res.status(), 200);
      const slide = page.locator('section[data-demo-slide="cgroups"]');
      for (let i = 0; i < 8 && !(await slide.evaluate((s) => s.classList.contains('present'))); i++) {
        await page.keyboard.press('ArrowRight');
      }
      assert.ok(await slide.evaluate((s) => s.classList.contains('present')), 'reached the cgroups slide');
      const el = slide.locator('cgroups-demo');
      await el.locator('[data-testid="step"]').waitFor();
      assert.ok(await el.evaluate((e) => e.classList.contains('cg-embed')), 'compact layout on a slide');
      const name = await el.getAttribute('scenario');
      const trace = await native(name);
      await el.locator('[data-testid="step"]').click();
      await el.locator('[data-testid="step"]').click();
      assert.deepEqual(await el.evaluate((e) => e.demo.lastRecord), withoutTimeline(trace[1]));
      // Space on a focused control steps the demo and does not move the deck.
      await el.locator('[data-testid="step"]').focus();
      await page.keyboard.press('Space');
      assert.ok(await slide.evaluate((s) => s.classList.contains('present')), 'still on the slide');
      assert.equal(await el.getAttribute('data-step'), String(Math.min(3, trace.length)));
      const box = await el.boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= 720 + 1, `the demo fits the slide: ${JSON.stringify(box)}`);
      await page.waitForTimeout(1000);
    },
  },
  {
    name: 'bad embed parameters show a message and inject nothing',
    fn: async ({ page, baseUrl }) => {
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs += 1;
        return d.dismiss();
      });
      const cases = [
        ['?scenario=' + encodeURIComponent('<img src=x onerror=alert(1)>'), /Invalid scenario/],
        ['?scenario=memory-oom-kill&step=99999', /Invalid step/],
        ['?scenario=nope', /Unknown cgroups scenario/],
      ];
      for (const [query, message] of cases) {
        await page.goto(`${baseUrl}${EMBED}${query}`);
        const err = page.locator('.demo-error');
        await err.waitFor();
        assert.match(await err.textContent(), message, query);
        const injected = await page.evaluate(() => document.querySelectorAll('img[src="x"], [onerror], .demo-error *').length);
        assert.equal(injected, 0, `markup injected by ${query}`);
        assert.equal(await page.locator('.cg-demo').count(), 0, 'no demo mounted');
      }
      await page.waitForTimeout(100);
      assert.equal(dialogs, 0, 'no script ran');
    },
  },
  {
    name: 'a hierarchy of 100 cgroups on 4 CPUs steps and shows every group',
    timeout: 60_000,
    fn: async ({ page, baseUrl }) => {
      await openDemo(page, baseUrl, 'cpu-quota-half');
      const groups = Array.from({ length: 100 }, (_, i) => ({
        path: `/g${i}`,
        files: { 'cpu.max': `${20000 + 1000 * (i % 30)} 100000`, 'cpu.weight': String(50 + i) },
      }));
      const ops = [
        ...groups.map((g) => ({ op: 'spawn', cgroup: g.path, threads: 2 })),
        ...Array.from({ length: 20 }, () => ({ op: 'run', ms: 16 })),
      ];
      const scenario = JSON.stringify({ version: 2, cpus: 4, groups, ops });
      const result = await page.evaluate(async ({ scenario, site }) => {
        const { loadWasm } = await import(new URL('js/demos.js', site).href);
        const { mount } = await import(new URL('js/demos/cgroups.js', site).href);
        const { glue, memory } = await loadWasm();
        const el = document.createElement('div');
        document.body.append(el);
        const c = mount(el, {
          glue, memory, catalog: [{ name: 'bench', title: 'bench', summary: '', ops: 0 }], scenario: 'bench',
          scenarioJson: scenario, step: 100, speed: 8, autoplay: false, embed: false, loadScenario: async () => scenario,
        });
        const button = el.querySelector('[data-testid="step"]');
        for (let i = 0; i < 20; i++) button.click();
        const cards = el.querySelectorAll('.cg-card').length;
        const steps = Number(el.dataset.step);
        const stats = el.demo.lastRecord.cgroups;
        const usage = Object.keys(stats).filter((p) => p !== '/').reduce((sum, p) => sum + stats[p]['cpu.stat'].usage_usec, 0);
        c.destroy();
        el.remove();
        return { cards, steps, usage };
      }, { scenario, site: baseUrl });
      assert.equal(result.cards, 101);
      assert.equal(result.steps, 120);
      // 4 CPUs for 20 runs of 16 ms, and 200 runnable threads: no CPU is ever idle.
      assert.equal(result.usage, 4 * 20 * 16 * 1000);
    },
  },
];
