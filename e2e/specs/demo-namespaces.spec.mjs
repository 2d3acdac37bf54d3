// The namespaces demo: its page loads the wasm, stepping shows the native simulation's
// records, the syscall controls follow the native model, scenarios switch, the embed page
// works alone and in an iframe, and bad URL parameters show a message without injecting markup.

import assert from 'node:assert/strict';

import { nativeTrace } from '../lib/sim.mjs';

const KIND = 'namespaces';
const PAGE = `demos/${KIND}/`;
const EMBED = `demos/${KIND}/embed/`;
const PHONE = { width: 390, height: 844 };
// The first run of the native `sim` may compile it.
const NATIVE_TIMEOUT = 290_000;

const withoutStep = (rec) => {
  const { step, ...rest } = rec;
  return rest;
};

/** Waits until the demo in `frame` (a page or frame) has mounted; returns its root's locator. */
async function ready(frame) {
  const root = frame.locator('.ns-demo').first();
  await root.locator('[data-testid="step"]').waitFor({ state: 'visible', timeout: 10_000 });
  return root;
}

const stepCount = (root) => root.evaluate((el) => Number(el.dataset.step));
const lastRecord = (root) => root.evaluate((el) => el.demo?.lastRecord ?? null);

/** Picks `name` in the scenario picker (if it is not already loaded) and waits for step 0. */
async function pick(root, name) {
  const picker = root.locator('[data-testid="scenario"]');
  if ((await picker.inputValue()) !== name) {
    await picker.selectOption(name);
    await root.page().waitForFunction(
      ([sel, n]) => {
        const el = document.querySelector(sel);
        return el && el.dataset.step === '0' && el.querySelector('[data-testid="scenario"]').value === n;
      },
      ['.ns-demo', name],
    );
  }
}

/** Clicks Step until `total` records have been applied (asserting data-step). */
async function stepTo(root, total) {
  const button = root.locator('[data-testid="step"]');
  const start = await stepCount(root);
  for (let i = start; i < total; i += 1) await button.click();
  assert.equal(await stepCount(root), total, `data-step after clicking up to ${total}`);
}

/** Runs one syscall through the "Try it" controls. */
async function run(root, { action, as, child, target, signal, code, flags = [] }) {
  await root.locator('select[aria-label="Action"]').selectOption(action);
  await root.locator('[data-testid="as"]').selectOption(as);
  if (child != null) await root.locator('[data-testid="child"]').fill(child);
  if (target != null) await root.locator('[data-testid="target"]').selectOption(target);
  if (signal != null) await root.locator('[data-testid="signal"]').selectOption(signal);
  if (code != null) await root.locator('[data-testid="code"]').fill(String(code));
  for (const box of await root.locator('input[data-flag]').all()) {
    const flag = await box.getAttribute('data-flag');
    if (await box.isVisible()) await box.setChecked(flags.includes(flag));
  }
  await root.locator('[data-testid="apply"]').click();
}

const nspidText = (root, label) => root.locator(`[data-label="${label}"] [data-testid="nspid"]`).first().innerText();

export const tests = [
  {
    name: 'the page loads its wasm and each step shows the native record',
    timeout: NATIVE_TIMEOUT,
    fn: async ({ page, baseUrl }) => {
      const wasm = page.waitForResponse((r) => r.url().endsWith('.wasm'));
      await page.goto(baseUrl + PAGE);
      const res = await wasm;
      assert.equal(res.status(), 200);
      assert.equal(res.headers()['content-type'], 'application/wasm');
      const root = await ready(page);
      await pick(root, 'container-from-shell-script');
      const native = await nativeTrace(KIND, 'container-from-shell-script');

      // 4 clicks: `unshare --mount --uts --ipc --net --pid --fork bash` made `c`, pid 1 inside.
      await stepTo(root, 4);
      assert.deepEqual(await lastRecord(root), native[3]);
      const c = native[3].state.processes.find((p) => p.label === 'c');
      assert.equal((await nspidText(root, 'c')).replace(/\s+/g, ' ').trim(), c.nspid.join(' '));
      assert.match(await root.locator('[data-testid="result"]').innerText(), new RegExp(`pid ${native[3].pid}\\b.*pid ${native[3].pid_inside}\\b`));
      // The new namespaces of the walkthrough step are listed as changes.
      const changes = await root.locator('[data-testid="changes"]').innerText();
      for (const ns of native[3].state.namespaces.filter((n) => n.inode >= 4026532200)) {
        assert.ok(changes.includes(`${ns.type}:[${ns.inode}] created`), `"${ns.type}:[${ns.inode}] created" in ${changes}`);
      }

      // 12 clicks: `hostname container` inside; the uts card shows it.
      await stepTo(root, 12);
      assert.deepEqual(await lastRecord(root), native[11]);
      assert.match(await root.locator('[data-testid="changes"]').innerText(), /hostname: host → container/);
      assert.ok(await root.locator('[data-testid="state"]').getByText('container', { exact: true }).first().isVisible());

      // 24 clicks: after dropping CAP_SYS_ADMIN, `hostname escape` is EPERM.
      await stepTo(root, 24);
      const rec = native[23];
      assert.equal(rec.errno, 'EPERM');
      assert.deepEqual(await lastRecord(root), rec);
      assert.match(await root.locator('[data-testid="status"]').innerText(), /EPERM/);
      assert.equal(await root.evaluate((el) => el.dataset.remaining), String(native.length - 24));
    },
  },
  {
    name: 'fork, clone and kill controls follow the native model (init death cascade)',
    timeout: NATIVE_TIMEOUT,
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + PAGE);
      const root = await ready(page);
      await pick(root, 'init-death-cascade');
      const native = await nativeTrace(KIND, 'init-death-cascade');
      await stepTo(root, 4); // up to `unshare --pid --mount-proc --fork` → cinit
      // The script's next five ops, typed into the controls instead of stepped.
      await run(root, { action: 'fork', as: 'cinit', child: 'a' });
      await run(root, { action: 'fork', as: 'cinit', child: 'b' });
      await run(root, { action: 'fork', as: 'a', child: 'a1' });
      await run(root, { action: 'clone', as: 'b', child: 'nested', flags: ['CLONE_NEWPID'] });
      await run(root, { action: 'fork', as: 'nested', child: 'nested-child' });
      assert.equal(await stepCount(root), 9);
      assert.deepEqual(withoutStep(await lastRecord(root)), withoutStep(native[8]));
      // nested-child has one pid per level: host, cinit's namespace, nested's namespace.
      const nc = native[8].state.processes.find((p) => p.label === 'nested-child');
      assert.equal(nc.nspid.length, 3);
      assert.equal((await nspidText(root, 'nested-child')).replace(/\s+/g, ' ').trim(), nc.nspid.join(' '));
      assert.equal(await root.locator('.ns-box').count(), 3, 'three nested pid namespace boxes');

      // SIGTERM from inside: init has no handler, ignored (native op 9).
      await run(root, { action: 'kill', as: 'a', target: 'cinit', signal: 'SIGTERM' });
      assert.deepEqual(withoutStep(await lastRecord(root)), withoutStep(native[9]));
      // SIGKILL from the host kills init and with it every member (native op 13).
      await run(root, { action: 'kill', as: 'shell', target: 'cinit', signal: 'SIGKILL' });
      const after = await lastRecord(root);
      assert.equal(after.signal, 'terminated');
      assert.deepEqual(after.state, native[13].state);
      const cinitRow = root.locator('[data-label="cinit"]');
      assert.match(await cinitRow.innerText(), /zombie/);
      assert.equal(await root.locator('[data-label="nested-child"]').count(), 0, 'members are gone');
      assert.match(await root.locator('[data-testid="tree"]').innerText(), /init died/);

      // The next scripted fork into the dead namespace is ENOMEM, as natively (op 15 after 14).
      const fork = { action: 'fork', as: 'unshare', child: 'late' };
      await run(root, fork);
      const late = await lastRecord(root);
      assert.equal(late.errno, native[15].errno);
      assert.equal(late.error, native[15].error);

      // A malformed op (exit code beyond i32) is refused by the facade: status, no new record.
      const before = await stepCount(root);
      await run(root, { action: 'exit', as: 'unshare', code: 99999999999 });
      assert.equal(await stepCount(root), before);
      assert.match(await root.locator('[data-testid="status"]').innerText(), /Rejected: .*code/);
    },
  },
  {
    name: 'orphans are reparented, exit from the controls',
    timeout: NATIVE_TIMEOUT,
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + PAGE);
      const root = await ready(page);
      await pick(root, 'orphan-reparenting');
      const native = await nativeTrace(KIND, 'orphan-reparenting');
      await stepTo(root, 5);
      await run(root, { action: 'exit', as: 'mid', code: 0 });
      assert.deepEqual(withoutStep(await lastRecord(root)), withoutStep(native[5]));
      const leaf = native[5].state.processes.find((p) => p.label === 'leaf');
      assert.match(await root.locator('[data-testid="changes"]').innerText(), new RegExp(`leaf: parent pid .* → ${leaf.ppid.join('/')} \\(reparented\\)`));
    },
  },
  {
    name: 'picking another scenario: veth pair between two network namespaces',
    timeout: NATIVE_TIMEOUT,
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + PAGE);
      const root = await ready(page);
      await pick(root, 'net-namespace-lo-veth');
      const native = await nativeTrace(KIND, 'net-namespace-lo-veth');
      await stepTo(root, 4);
      assert.deepEqual(await lastRecord(root), native[3]);
      assert.equal(native[3].output.join('\n'), '1: lo: state DOWN');
      assert.match(await root.locator('[data-testid="result"]').innerText(), /lo: state DOWN/);
      await stepTo(root, 19);
      assert.deepEqual(await lastRecord(root), native[18]);
      assert.equal(native[18].reached, (await root.locator('[data-testid="result"]').innerText()).replace(/^→ reached /, '').trim());
      const net = root.locator('[data-testid="net"]');
      assert.equal(await net.locator('.net-ns').count(), 2, 'two network namespaces drawn');
      assert.equal(await net.locator('.veth.carrier').count(), 1, 'the veth pair has carrier');
      assert.match(await net.innerHTML(), /veth1 UP/);
      // Reset goes back to the booted host.
      await root.locator('[data-testid="reset"]').click();
      assert.equal(await stepCount(root), 0);
      assert.equal(await net.locator('.net-ns').count(), 1);
    },
  },
  {
    name: 'cgroup namespaces: the status repeats the path read, numbered as the counter, the script and the log are',
    timeout: NATIVE_TIMEOUT,
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + PAGE);
      const root = await ready(page);
      await pick(root, 'cgroup-namespace-paths');
      const native = await nativeTrace(KIND, 'cgroup-namespace-paths');
      await stepTo(root, 9);
      assert.deepEqual(native[8].output, ['0::/../c']);
      assert.equal(await root.locator('[data-testid="status"]').innerText(), 'Command 9: 0::/../c.');
      assert.equal(await root.locator('.ns-progress').innerText(), `command 9 of ${native.length}`);
      const current = root.locator('.ns-script li[aria-current="step"]');
      assert.equal(await current.evaluate((li) => [...li.parentNode.children].indexOf(li) + 1), 9);
      assert.equal(await current.innerText(), 'shell: cat /proc/<sibling>/cgroup');
      assert.equal(await root.locator('.ns-log li').first().evaluate((li) => li.value), 9);

      // host time passing is nobody's command: the script shows it without a process.
      await pick(root, 'time-namespace-offsets');
      const sleep = root.locator('.ns-script li').nth(12);
      assert.equal(await sleep.innerText(), 'sleep 10');
    },
  },
  {
    name: 'user namespace: root inside, EPERM on the host’s hostname',
    timeout: NATIVE_TIMEOUT,
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + PAGE);
      const root = await ready(page);
      await pick(root, 'user-namespace-root-eperm');
      const native = await nativeTrace(KIND, 'user-namespace-root-eperm');
      await stepTo(root, 9);
      const rec = native[8];
      assert.equal(rec.errno, 'EPERM');
      assert.deepEqual(await lastRecord(root), rec);
      const alice = rec.state.processes.find((p) => p.label === 'alice');
      assert.equal(alice.uid, 0);
      assert.match(await root.locator('[data-label="alice"]').innerText(), new RegExp(`uid 0 \\(host ${alice.kuid}\\)`));
      assert.match(await root.locator('[data-testid="result"]').innerText(), /EPERM: sethostname needs CAP_SYS_ADMIN/);
    },
  },
  {
    name: 'play, pause and speed; keyboard and phone width',
    viewport: PHONE,
    fn: async ({ page, baseUrl }) => {
      await page.goto(baseUrl + PAGE);
      const root = await ready(page);
      await pick(root, 'container-from-shell-script');
      await root.locator('[data-testid="speed"]').selectOption('8');
      await root.locator('[data-testid="play"]').click();
      await page.waitForFunction(() => Number(document.querySelector('.ns-demo').dataset.step) >= 3);
      await root.locator('[data-testid="play"]').click(); // pause
      const paused = await stepCount(root);
      await page.waitForTimeout(400);
      assert.equal(await stepCount(root), paused, 'no step while paused');
      // Keyboard: Shift+Tab from Play reaches Step; Enter and Space press it.
      await root.locator('[data-testid="play"]').focus();
      await page.keyboard.press('Shift+Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'step');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Space');
      assert.equal(await stepCount(root), paused + 2);
      const outline = await root.locator('[data-testid="step"]').evaluate((el) => getComputedStyle(el).outlineStyle);
      assert.notEqual(outline, 'none', 'the focused button shows an outline');
      for (const id of ['step', 'play', 'reset', 'scenario', 'speed']) {
        const label = await root.locator(`[data-testid="${id}"]`).getAttribute('aria-label');
        assert.ok(label && label.length > 2, `${id} has an aria-label`);
      }
      // The help loads when opened: how to read the picture, then the simplifications.
      await root.locator('details.ns-help summary').click();
      await root.locator('details.ns-help li').first().waitFor();
      const help = await root.locator('details.ns-help').textContent();
      for (const phrase of ['NSpid', 'single-threaded', 'No kernel threads', 'IPv4 only']) {
        assert.ok(help.includes(phrase), `the help states “${phrase}”`);
      }
      // The demo fits the phone's width: nothing in it sticks out unless inside a scroller.
      const sticking = await root.evaluate((el) => {
        const width = document.documentElement.clientWidth;
        const scrolls = (n) => {
          for (let p = n.parentElement; p && p !== el.parentElement; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') return true;
          }
          return false;
        };
        return [el, ...el.querySelectorAll('*')]
          .filter((n) => n.getBoundingClientRect().right > width + 1 && !scrolls(n))
          .map((n) => `${n.tagName.toLowerCase()}.${n.getAttribute('class') ?? ''}`)
          .slice(0, 5);
      });
      assert.deepEqual(sticking, [], 'elements of the demo wider than 390 px');
    },
  },
  {
    name: 'on a phone the network diagram keeps its text readable and scrolls sideways in its box',
    viewport: PHONE,
    fn: async ({ page, baseUrl }) => {
      const catalog = await (await page.request.get(`${baseUrl}demos/scenarios.json`)).json();
      const { ops } = catalog[KIND].find((s) => s.name === 'container-from-shell-script');
      await page.goto(`${baseUrl}${PAGE}?scenario=container-from-shell-script&step=${ops}`);
      await page.locator(`.ns-demo[data-state="ready"][data-step="${ops}"]`).waitFor();
      const net = await page.locator('[data-testid="net"]').evaluate((svg) => ({
        namespaces: svg.querySelectorAll('.net-ns').length,
        scale: svg.getBoundingClientRect().width / svg.viewBox.baseVal.width,
        boxScrolls: svg.parentElement.scrollWidth > svg.parentElement.clientWidth,
        pageWidth: document.documentElement.scrollWidth,
      }));
      assert.equal(net.namespaces, 2, 'the host and the container');
      // Its smallest text is 10 units: drawn at 10 px or more, not shrunk to the phone.
      assert.ok(net.scale >= 1, `the diagram is drawn at ${net.scale.toFixed(2)} of its size`);
      assert.ok(net.boxScrolls, 'the diagram scrolls in its box');
      assert.equal(net.pageWidth, PHONE.width, 'the page itself does not scroll sideways');
    },
  },
  {
    name: 'a help file that fails to load says so, and the help loads when opened again',
    allowConsoleErrors: [/status of 503/],
    fn: async ({ page, baseUrl }) => {
      let fail = true;
      await page.route('**/demos/help/namespaces.json', (route) =>
        fail ? route.fulfill({ status: 503, body: '' }) : route.continue());
      await page.goto(baseUrl + PAGE);
      const root = await ready(page);
      const help = root.locator('details.ns-help');
      assert.equal(await help.locator('li').count(), 0, 'nothing is fetched before the help opens');
      await help.locator('summary').click();
      await help.getByText('The help could not load (HTTP 503): close and open it again.').waitFor();
      fail = false;
      await help.locator('summary').click();
      await help.locator('summary').click();
      await help.locator('li').first().waitFor();
      assert.ok(!(await help.textContent()).includes('could not load'), 'the message is replaced');
    },
  },
  {
    name: 'embed page starts at the step given',
    timeout: NATIVE_TIMEOUT,
    viewport: { width: 960, height: 540 },
    fn: async ({ page, baseUrl }) => {
      await page.goto(`${baseUrl}${EMBED}?scenario=init-death-cascade&step=3`);
      const root = await ready(page);
      const native = await nativeTrace(KIND, 'init-death-cascade');
      assert.equal(await stepCount(root), 3);
      assert.deepEqual(await lastRecord(root), native[2]);
      assert.ok(await root.evaluate((el) => el.classList.contains('ns-embed')), 'compact layout');
      await root.locator('[data-testid="step"]').click();
      assert.deepEqual(await lastRecord(root), native[3]);
      assert.equal((await nspidText(root, 'cinit')).replace(/\s+/g, ' ').trim(), '4 1');
    },
  },
  {
    name: 'embed page inside an iframe',
    timeout: NATIVE_TIMEOUT,
    fn: async ({ page, baseUrl }) => {
      const src = `${baseUrl}${EMBED}?scenario=orphan-reparenting&step=6`;
      await page.setContent(
        `<!doctype html><title>iframe test</title><h1>Slide</h1><iframe id="f" title="namespaces demo" src="${src}" width="960" height="540"></iframe>`,
      );
      const frame = page.frameLocator('#f');
      const root = await ready(frame);
      const native = await nativeTrace(KIND, 'orphan-reparenting');
      assert.equal(await stepCount(root), 6);
      assert.deepEqual(await lastRecord(root), native[5]);
      await root.locator('[data-testid="step"]').click();
      assert.deepEqual(await lastRecord(root), native[6]);
      assert.match(await root.locator('[data-testid="result"]').innerText(), /reaped mid/);
    },
  },
  {
    name: 'bad embed parameters show a message and inject nothing',
    fn: async ({ page, baseUrl }) => {
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs += 1;
        d.dismiss().catch(() => {});
      });
      const cases = [
        ['scenario=' + encodeURIComponent('<img src=x onerror=alert(1)>'), /scenario/i],
        ['step=99999', /step/i],
        ['scenario=nope', /nope|unknown/i],
      ];
      for (const [query, expected] of cases) {
        await page.goto(`${baseUrl}${EMBED}?${query}`);
        const message = page.locator('.demo-error, [role="alert"]').first();
        await message.waitFor({ state: 'visible', timeout: 10_000 });
        const text = await message.innerText();
        assert.match(text, expected, `message for ?${query}`);
        const injected = await page.evaluate(() => document.querySelectorAll('img, [onerror]').length);
        assert.equal(injected, 0, `no element injected by ?${query}`);
        assert.equal(await page.locator('[data-testid="step"]').count(), 0, `no demo mounted for ?${query}`);
      }
      assert.equal(dialogs, 0, 'no alert ran');
    },
  },
];
