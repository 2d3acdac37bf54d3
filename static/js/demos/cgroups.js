// The cgroups demo: CPU bandwidth and weights on a per-CPU timeline, memory against
// memory.high / memory.max with reclaim and the OOM killer, pids.max and RLIMIT_NPROC.
//
// `mount(root, ctx)` (see ../demos.js for ctx) builds the UI with createElement/textContent
// only: scenario and record text is untrusted. The simulation is the wasm `CgroupDemo`;
// each scripted op or control action returns the native runner's trace record as JSON, and a
// `run` leaves its CPU timeline in the frame (4 u32 per span: cpu, start ms, length ms, slot),
// read through a fresh Uint32Array view after every call and copied at once.

import { darkMode, field, h, helpPanel, paint, plural, prepend, setOptions, stylesheet, transport } from './kit.js';

const SLOT_THROTTLED = 0xffffffff;
const SLOT_IDLE = 0xfffffffe;
const LOG_LINES = 12;
const FONT = '11px sans-serif';
const MAX_CHIPS = 64;
const MiB = 1024 * 1024;
// v1 "no limit" reads 9223372036854771712; anything this large is shown as "none".
const HUGE = 2 ** 62;

// Kernel file names per version: the demo shows the scenario's own names.
const NAMES = [
  ['quota / period', 'cpu.max', 'cpu.cfs_quota_us, cpu.cfs_period_us'],
  ['burst', 'cpu.max.burst', 'cpu.cfs_burst_us'],
  ['weight', 'cpu.weight (1…10000)', 'cpu.shares (2…262144)'],
  ['CPU time used', 'cpu.stat usage_usec', 'cpuacct.usage (ns)'],
  ['throttled time', 'cpu.stat throttled_usec', 'cpu.stat throttled_time (ns)'],
  ['hard memory limit', 'memory.max', 'memory.limit_in_bytes'],
  ['memory usage', 'memory.current, memory.peak', 'memory.usage_in_bytes, memory.max_usage_in_bytes'],
  ['memory events', 'memory.events (max, oom, oom_kill…)', 'memory.failcnt, memory.oom_control'],
  ['throttle limit', 'memory.high', '(none)'],
  ['task limit', 'pids.max, pids.events', 'pids.max, pids.events'],
  ['io limits', 'io.max', 'blkio.throttle.*_device'],
];

/** The files the Try-it write offers per version, each with a value to start from. */
const WRITABLE = {
  2: {
    'cpu.max': '50000 100000',
    'cpu.max.burst': '20000',
    'cpu.weight': '200',
    'memory.max': '64M',
    'memory.high': '32M',
    'memory.oom.group': '1',
    'pids.max': '10',
    'io.max': '8:0 wbps=1048576',
  },
  1: {
    'cpu.cfs_quota_us': '50000',
    'cpu.cfs_period_us': '100000',
    'cpu.shares': '2048',
    'memory.limit_in_bytes': '64M',
    'memory.oom_control': '1',
    'pids.max': '10',
    'blkio.throttle.write_bps_device': '8:0 1048576',
  },
};

/**
 * Card rows per version: [section, rows, bar?]; a row is [kind, 'file' or 'file key', show?],
 * the kind n (a number), b (bytes), s (a string) or l (lines).
 */
function cardSpec(v) {
  const nonzero = (c, it) => (it.key ? c[it.file]?.[it.key] : c[it.file]) !== 0;
  const burst = (c) => (c['cpu.max.burst'] ?? c['cpu.cfs_burst_us']) !== 0;
  if (v === 2) {
    return [
      ['cpu', [
        ['s', 'cpu.max'],
        ['n', 'cpu.max.burst', burst],
        ['n', 'cpu.weight'],
        ['n', 'cpu.stat usage_usec'],
        ['n', 'cpu.stat nr_periods'],
        ['n', 'cpu.stat nr_throttled'],
        ['n', 'cpu.stat throttled_usec'],
        ['n', 'cpu.stat nr_bursts', burst],
        ['n', 'cpu.stat burst_usec', burst],
      ]],
      ['memory', [
        ['b', 'memory.current'],
        ['b', 'memory.high', (c) => c['memory.high'] !== 'max'],
        ['b', 'memory.max'],
        ['b', 'memory.peak'],
        ['b', 'memory.stat anon'],
        ['b', 'memory.stat file'],
        ['n', 'memory.events high', (c) => c['memory.high'] !== 'max' || c['memory.events']?.high !== 0],
        ['n', 'memory.events max'],
        ['n', 'memory.events oom'],
        ['n', 'memory.events oom_kill'],
        ['n', 'memory.events oom_group_kill', nonzero],
        ['n', 'memory.oom.group', nonzero],
      ], 'mem'],
      ['pids', [
        ['n', 'pids.current'],
        ['n', 'pids.max'],
        ['n', 'pids.peak'],
        ['n', 'pids.events max'],
        ['n', 'pids.events.local max'],
      ], 'pids'],
      ['io', [
        ['l', 'io.max'],
        ['l', 'io.stat'],
      ], 'io'],
    ];
  }
  return [
    ['cpu', [
      ['n', 'cpu.cfs_quota_us'],
      ['n', 'cpu.cfs_period_us'],
      ['n', 'cpu.cfs_burst_us', burst],
      ['n', 'cpu.shares'],
      ['n', 'cpuacct.usage'],
      ['n', 'cpu.stat nr_periods'],
      ['n', 'cpu.stat nr_throttled'],
      ['n', 'cpu.stat throttled_time'],
      ['n', 'cpu.stat nr_bursts', burst],
      ['n', 'cpu.stat burst_time', burst],
    ]],
    ['memory', [
      ['b', 'memory.usage_in_bytes'],
      ['b', 'memory.limit_in_bytes'],
      ['b', 'memory.max_usage_in_bytes'],
      ['b', 'memory.stat rss'],
      ['b', 'memory.stat cache'],
      ['n', 'memory.failcnt'],
      ['n', 'memory.oom_control oom_kill_disable'],
      ['n', 'memory.oom_control under_oom'],
      ['n', 'memory.oom_control oom_kill'],
    ], 'mem'],
    ['pids', [
      ['n', 'pids.current'],
      ['n', 'pids.max'],
      ['n', 'pids.peak'],
      ['n', 'pids.events max'],
    ], 'pids'],
    ['blkio', [
      ['l', 'blkio.throttle.read_bps_device'],
      ['l', 'blkio.throttle.write_bps_device'],
      ['l', 'blkio.throttle.io_service_bytes', (c) => (c['blkio.throttle.io_service_bytes'] ?? []).length > 1],
    ], 'io'],
  ];
}

function fmtBytes(n) {
  if (typeof n !== 'number') return String(n);
  if (n >= HUGE) return 'none';
  if (n >= MiB) {
    const m = n / MiB;
    return `${Number.isInteger(m) ? m : m.toFixed(1)} MiB`;
  }
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;
  return `${n} B`;
}

/** How many forks (or clones, spawns) `rec` saw refused with EAGAIN. */
const refused = (rec) => rec.fork_failed || (/^EAGAIN/.test(rec.error) ? 1 : 0);
const fmtMs = (us) => `${+(us / 1000).toFixed(1)} ms`;
/** `x` as a CSS percentage of `scale`, at most 100%. */
const percentOf = (x, scale) => `${Math.min(100, (100 * (x || 0)) / (scale || 1)).toFixed(2)}%`;
const finite = (n) => typeof n === 'number' && n < HUGE;

function controllerOf(file) {
  if (file.startsWith('memory.')) return 'memory';
  if (file.startsWith('pids.')) return 'pids';
  if (file.startsWith('blkio.')) return 'blkio';
  return 'cpu,cpuacct';
}

function fsPath(v, cgroup, file) {
  const base = v === 1 ? `/sys/fs/cgroup/${controllerOf(file)}` : '/sys/fs/cgroup';
  return `${base}${cgroup === '/' ? '' : cgroup}/${file}`;
}

/** An op in shell-like words. */
function opText(op, v) {
  switch (op.op) {
    case 'mkdir': return `mkdir ${fsPath(v, op.cgroup, '').replace(/\/$/, '')}`;
    case 'write': return `echo ${op.value} > ${fsPath(v, op.cgroup, op.file)}`;
    case 'read': return `cat ${fsPath(v, op.cgroup, op.file)}`;
    case 'spawn': {
      const bits = [`uid ${op.uid ?? 0}`];
      if ((op.threads ?? 1) > 1) bits.push(`${op.threads} threads`);
      if (op.nproc != null) bits.push(`--ulimit nproc=${op.nproc}`);
      if (op.cap_sys_resource) bits.push('CAP_SYS_RESOURCE');
      if (op.busy === false) bits.push('sleeping');
      return `start a process in ${op.cgroup} (${bits.join(', ')})`;
    }
    case 'fork': return (op.count ?? 1) > 1 ? `pid ${op.pid} forks ${op.count} times` : `pid ${op.pid} forks`;
    case 'clone': return `pid ${op.pid} creates a thread`;
    case 'exit': return `thread ${op.tid} exits`;
    case 'kill': return `kill -9 ${op.pid}`;
    case 'migrate': return `echo ${op.pid} > ${fsPath(v, op.cgroup, 'cgroup.procs')}`;
    case 'run': return `run ${op.ms} ms`;
    case 'set_demand': return `thread ${op.tid} ${op.busy ? 'becomes busy' : 'goes to sleep'}`;
    case 'alloc': return `pid ${op.pid} touches ${fmtBytes(op.bytes)} of anonymous memory`;
    case 'free': return `pid ${op.pid} unmaps ${fmtBytes(op.bytes)}`;
    case 'touch_file': return `pid ${op.pid} writes ${fmtBytes(op.bytes)} of ${op.file}`;
    case 'read_file': return `pid ${op.pid} reads ${fmtBytes(op.bytes)} of ${op.file}`;
    case 'io': return `pid ${op.pid}: ${op.direct === false ? 'buffered' : 'direct'} ${op.dir} of ${fmtBytes(op.bytes)}`;
    default: return JSON.stringify(op);
  }
}

/** What a record's op did, in words. */
function resultText(rec, prev) {
  const op = rec.op;
  if (rec.error) return `error: ${rec.error}`;
  const parts = [];
  if (rec.forked != null) {
    parts.push(`forked ${rec.forked}`);
    if (rec.fork_failed) parts.push(`${rec.fork_failed} failed with ${rec.fork_error ?? 'an error'}`);
  } else if (rec.pids?.length) {
    parts.push(`pid ${rec.pids.join(', ')}`);
  }
  if (op.op === 'clone' && rec.tids?.length) parts.push(`tid ${rec.tids.join(', ')}`);
  if (rec.killed?.length) parts.push(`${op.op === 'kill' ? 'killed' : 'OOM-killed'} pid ${rec.killed.join(', ')}`);
  const cache = (r) => (r?.page_cache ?? []).reduce((n, f) => n + f.bytes, 0);
  const dropped = cache(prev) - cache(rec);
  if (prev && dropped > 0 && op.op !== 'kill') parts.push(`reclaimed ${fmtBytes(dropped)} of page cache`);
  if (rec.blocked) parts.push('the task waits for memory (oom_kill_disable)');
  if (rec.delay_us != null) {
    parts.push(op.op === 'alloc' ? `slept ${fmtMs(rec.delay_us)} over memory.high` : `dispatched after ${fmtMs(rec.delay_us)}`);
  }
  if (rec.content != null) {
    const lines = rec.content.trimEnd().split('\n');
    parts.push(lines.length > 1 ? `${lines[0]} …` : lines[0]);
  }
  if (op.op === 'run') {
    parts.push(`t = ${rec.time_ms} ms`);
    for (const [path, c] of Object.entries(rec.cgroups)) {
      const d = (c['cpu.stat']?.nr_throttled ?? 0) - (prev?.cgroups?.[path]?.['cpu.stat']?.nr_throttled ?? 0);
      if (d > 0) parts.push(`${path} throttled in ${plural(d, 'period')}`);
    }
  }
  return parts.length ? parts.join('; ') : 'ok';
}

function groupHue(i) {
  return (210 + i * 137.508) % 360;
}

export function mount(root, ctx) {
  stylesheet('cgroups');
  const memory = ctx.memory;
  const reduceMotion = matchMedia('(prefers-reduced-motion: reduce)');

  let demo = null;
  let version = 2;
  let ncpus = 1;
  let anim = null; // { t0, dur } of the timeline reveal
  // Per-scenario state rebuilt on reset.
  let applied = 0;
  let lastRecord = null;
  let prevRecord = null;
  let timeline = null; // { start, len, spans: Uint32Array, truncated, ncpus, tidGroup: Map, quotas }
  let eagain = 0;
  let limits = new Map(); // pid -> { nproc, cap }
  let colorOf = new Map(); // cgroup path -> colour index
  let structure = '';
  let cards = new Map(); // path -> { el, items: [{ it, val, wrap }], bars }
  let chipsSig = '';
  let chipOf = new Map();
  let chipOrder = '';

  // ---- Controls ---------------------------------------------------------------------------
  // The play loop also draws the timeline's reveal after a run.
  const player = transport(root, ctx, 'cg', {
    step: () => stepOnce(true),
    left: () => demo?.remaining() ?? 0,
    load(text, name) {
      start(text, 0, name);
      root.dataset.scenario = name;
    },
    reset() {
      try {
        start(player.text, 0, player.name);
      } catch (err) {
        setStatus(`Reset failed: ${err.message}`, 'error');
      }
    },
    frame(now) {
      if (!anim) return;
      drawTimeline(now);
      if (now - anim.t0 >= anim.dur) {
        anim = null;
        drawTimeline();
      }
    },
    busy: () => !!anim,
    halt() {
      if (!anim) return;
      anim = null;
      drawTimeline();
    },
  });
  const setStatus = player.say;
  const { compact } = player;
  const progress = h('span', { class: 'cg-progress', 'aria-live': 'off' });
  const versionBadge = h('span', { class: 'cg-version' });
  const bar = h('div', { class: 'cg-bar', role: 'group', 'aria-label': 'Demo controls' },
    field('Scenario', player.picker, 'cg-field cg-scen'),
    h('span', { class: 'cg-buttons' }, player.step, player.play, player.reset),
    field('Speed', player.speeds, 'cg-field'),
    versionBadge, progress);
  const note = h('p', { class: 'cg-note' });

  // Interactive controls: each button builds one op for demo.apply(); a bad field is reported, not applied.
  const num = (label, value, min, max, extra = {}) => h('input', { type: 'number', value, min, max, 'aria-label': label, ...extra });
  const int = (input, what) => {
    const v = input.value.trim();
    if (!/^\d+$/.test(v)) throw new Error(`${what}: enter a whole number, 0 or more`);
    return Number(v);
  };
  const pid = () => {
    if (!pidSel.value) throw new Error('no live process: spawn one first');
    return Number(pidSel.value);
  };
  const act = (text, op) =>
    h('button', {
      type: 'button',
      'data-testid': text.toLowerCase(),
      text,
      onclick() {
        try {
          applyOp(op());
        } catch (err) {
          setStatus(`Rejected: ${err.message}`, 'error');
        }
      },
    });
  const runMs = num('Milliseconds to run', 100, 1, 600000, { 'data-testid': 'run-ms' });
  const btnRun = act('Run', () => ({ op: 'run', ms: int(runMs, 'run ms') }));
  const spawnCg = h('select', { 'aria-label': 'Cgroup for the new process', 'data-testid': 'spawn-cgroup' });
  const spawnThreads = num('Threads of the new process', 1, 1, 1024);
  const spawnUid = num('uid of the new process', 0, 0, 4294967295);
  const spawnNproc = h('input', { type: 'text', inputMode: 'numeric', placeholder: 'unlimited', size: 6, 'aria-label': 'ulimit nproc of the new process (empty: unlimited)' });
  const spawnBusy = h('input', { type: 'checkbox', checked: true, 'aria-label': 'The new process is busy (wants the CPU)' });
  const btnSpawn = act('Spawn', () => {
    const op = { op: 'spawn', cgroup: spawnCg.value, uid: int(spawnUid, 'uid'), threads: int(spawnThreads, 'threads'), busy: spawnBusy.checked };
    if (spawnNproc.value.trim() !== '') op.nproc = int(spawnNproc, 'nproc');
    return op;
  });
  const pidSel = h('select', { 'aria-label': 'Process', 'data-testid': 'pid' });
  const forkCount = num('Number of forks', 1, 1, 10000, { 'data-testid': 'fork-count' });
  const btnFork = act('Fork', () => ({ op: 'fork', pid: pid(), count: int(forkCount, 'fork count') }));
  const allocMiB = num('MiB to allocate', 16, 1, 1024, { 'data-testid': 'alloc-mib' });
  const btnAlloc = act('Alloc', () => ({ op: 'alloc', pid: pid(), bytes: int(allocMiB, 'MiB') * MiB }));
  const btnKill = act('Kill', () => ({ op: 'kill', pid: pid() }));
  const writeCg = h('select', { 'aria-label': 'Cgroup to write to', 'data-testid': 'write-cgroup' });
  const writeFile = h('select', { 'aria-label': 'Limit file', 'data-testid': 'write-file' });
  const writeValue = h('input', { type: 'text', size: 14, 'aria-label': 'Value to write', 'data-testid': 'write-value', spellcheck: 'false' });
  const btnWrite = act('Write', () => ({ op: 'write', cgroup: writeCg.value, file: writeFile.value, value: writeValue.value }));
  const mkdirPath = h('input', { type: 'text', size: 10, value: '/new', 'aria-label': 'Path of the new cgroup', spellcheck: 'false' });
  const btnMkdir = act('mkdir', () => ({ op: 'mkdir', cgroup: mkdirPath.value.trim() }));
  const row = (title, ...els) => h('div', { class: 'cg-row' }, h('span', { class: 'cg-row-title', text: title }), ...els);
  const lab = (text, input) => field(text, input, 'cg-inline');
  const tryIt = h('details', { class: 'cg-try', open: !compact },
    h('summary', { text: 'Try it: run, spawn, fork, allocate, write a limit' }),
    row('time', lab('run', runMs), h('span', { text: 'ms' }), btnRun),
    row('spawn', lab('in', spawnCg), lab('threads', spawnThreads), lab('uid', spawnUid), lab('nproc', spawnNproc), lab('busy', spawnBusy), btnSpawn),
    row('process', lab('pid', pidSel), lab('×', forkCount), btnFork, lab('MiB', allocMiB), btnAlloc, btnKill),
    row('write', lab('in', writeCg), writeFile, writeValue, btnWrite),
    row('mkdir', mkdirPath, btnMkdir));

  // ---- State view -------------------------------------------------------------------------
  const clock = h('p', { class: 'cg-clock' });
  const lastOp = h('p', { class: 'cg-lastop' });
  const content = h('pre', { class: 'cg-content', hidden: true });
  const canvas = h('canvas', { class: 'cg-timeline', role: 'img', 'data-testid': 'timeline' });
  const tlCaption = h('p', { class: 'cg-tl-caption' });
  const legend = h('ul', { class: 'cg-legend' });
  const cardGrid = h('div', { class: 'cg-cards' });
  const users = h('div', { class: 'cg-users' });
  const chips = h('ul', { class: 'cg-procs', 'aria-label': 'Processes' });
  const forkStat = h('p', { class: 'cg-forkstat' });
  const tlBox = h('div', {}, h('h3', { class: 'cg-h', text: 'CPU timeline of the last run' }), canvas, tlCaption, legend);
  let scenarioRuns = false;
  let setupGroups = [];
  // A div, not a <section>: reveal.js takes a section inside a slide for a vertical slide.
  const stateView = h('div', { class: 'cg-state', role: 'region', 'data-testid': 'state', 'aria-label': 'Simulation state' },
    clock, lastOp, content,
    tlBox,
    h('h3', { class: 'cg-h', text: 'Cgroups' }), cardGrid,
    h('h3', { class: 'cg-h', text: 'Processes and users' }), forkStat, users, chips);
  const log = h('ol', { class: 'cg-log', 'aria-label': 'Last operations', reversed: true });
  const namesTable = h('table', { class: 'cg-names' });

  root.replaceChildren(bar, player.summary, note, player.status, stateView, tryIt,
    h('details', { class: 'cg-logbox', open: !compact }, h('summary', { text: 'Log of the last operations' }), log),
    h('details', { class: 'cg-namesbox' }, h('summary', { text: 'cgroup v1 and v2 file names' }), namesTable),
    helpPanel('cgroups', 'cg', 'How to read this, and what is simplified').el);

  function buildNames() {
    // The columns are v2 then v1; the scenario's own is marked.
    const cur = (i) => (version === 2 - i ? 'cg-cur' : null);
    namesTable.replaceChildren(
      h('thead', null, h('tr', null, h('th', { text: 'knob' }),
        ...['v2', 'v1'].map((v, i) => h('th', { class: cur(i), text: cur(i) ? `${v} (this scenario)` : v })))),
      h('tbody', null, ...NAMES.map(([k, ...names]) => h('tr', null, h('td', { text: k }),
        ...names.map((n, i) => h('td', { class: cur(i) }, h('code', { text: n })))))));
  }

  // ---- Simulation ----------------------------------------------------------------------------
  function create(text) {
    const d = new ctx.glue.CgroupDemo(text);
    // The simulation has just parsed the text: `ops` is there, `cpus` and `groups` may not be.
    const doc = JSON.parse(text);
    return { d, cpus: doc.cpus || 1, runs: doc.ops.some((o) => o?.op === 'run'), groups: doc.groups ?? [] };
  }

  function resetState() {
    applied = 0;
    lastRecord = null;
    prevRecord = null;
    timeline = null;
    eagain = 0;
    limits = new Map();
    colorOf = new Map([['/', -1]]);
    colourCache = new Map();
    structure = '';
    chipsSig = '';
    chipOf = new Map();
    chipOrder = '';
    cards = new Map();
    cardPass = null;
    cardObserver.disconnect();
    cardGrid.replaceChildren();
    log.replaceChildren();
    content.hidden = true;
  }

  function start(text, steps, name) {
    const { d, cpus, runs, groups } = create(text);
    scenarioRuns = runs;
    setupGroups = groups;
    demo?.free();
    demo = d;
    ncpus = cpus;
    version = demo.version();
    resetState();
    buildNames();
    versionBadge.textContent = `cgroup v${version}`;
    // The catalog's note: where the scenario stands against the talk.
    note.textContent = ctx.catalog.find((s) => s.name === name)?.note ?? '';
    note.hidden = !note.textContent;
    writeFile.replaceChildren(...Object.keys(WRITABLE[version]).map((text) => h('option', { text })));
    writeValue.value = Object.values(WRITABLE[version])[0];
    for (let i = 0; i < steps; i++) {
      const json = demo.step();
      if (json === undefined) break;
      take(JSON.parse(json), false);
    }
    render(false);
    setStatus(steps > 0 && lastRecord ? `Step ${applied}: ${words(lastRecord)}` : 'Ready: press Step or Play.');
  }

  /** What the op of `rec`, the last record, did. */
  const words = (rec) => `${opText(rec.op, version)} → ${resultText(rec, prevRecord)}`;

  /** Books a record: timeline from the frame, derived tallies, log line. */
  function take(rec, animate) {
    prevRecord = lastRecord;
    lastRecord = rec;
    applied += 1;
    const op = rec.op;
    if (op.op === 'run' && !rec.error) {
      // The frame holds this run's timeline; copy it before any other call.
      const len = demo.frame_len();
      const view = new Uint32Array(memory.buffer, demo.frame_ptr(), len);
      const tidGroup = new Map();
      for (const t of rec.tasks) tidGroup.set(t.tid, t.cgroup);
      timeline = {
        start: demo.timeline_start_ms(),
        len: Number(op.ms) || 1,
        spans: view.slice(),
        truncated: demo.timeline_truncated(),
        ncpus,
        tidGroup,
        quotas: quotasOf(rec),
      };
      anim = animate && !reduceMotion.matches ? { t0: performance.now(), dur: Math.min(1500, 800 / player.speed) } : null;
    }
    if (op.op === 'spawn' && rec.pids?.length) {
      limits.set(rec.pids[0], { nproc: op.nproc ?? null, cap: !!op.cap_sys_resource });
    }
    if (op.op === 'fork' && rec.pids?.length) {
      const l = limits.get(op.pid);
      if (l) for (const p of rec.pids) limits.set(p, l);
    }
    eagain += refused(rec);
    for (const path of Object.keys(rec.cgroups)) {
      if (!colorOf.has(path)) colorOf.set(path, colorOf.size - 1);
    }
    logLine(rec);
  }

  function quotasOf(rec) {
    const out = [];
    for (const [path, c] of Object.entries(rec.cgroups)) {
      // v2's cpu.max reads `max 100000` without a quota, v1's quota is -1.
      const [quota, period] = c['cpu.max']?.split(' ').map(Number) ?? [c['cpu.cfs_quota_us'], c['cpu.cfs_period_us']];
      if (quota > 0 && period) out.push({ path, quota, period });
    }
    return out;
  }

  function logLine(rec) {
    const li = h('li', { class: rec.error || rec.fork_failed || rec.killed ? 'cg-bad' : null },
      h('span', { class: 'cg-log-op', text: opText(rec.op, version) }),
      h('span', { text: ` → ${resultText(rec, prevRecord)}` }));
    li.value = applied;
    prepend(log, li, LOG_LINES);
  }

  function stepOnce(animate) {
    if (!demo) return false;
    let json;
    try {
      json = demo.step();
    } catch (err) {
      setStatus(`The step failed: ${err.message}`, 'error');
      return false;
    }
    if (json === undefined) {
      setStatus('End of the scenario: Reset to start again, or use the controls below.');
      updateButtons();
      return false;
    }
    show(json, animate, true);
    return true;
  }

  function applyOp(op) {
    if (!demo) return;
    let json;
    try {
      json = demo.apply(JSON.stringify(op));
    } catch (err) {
      setStatus(`Rejected: ${err.message}`, 'error');
      return;
    }
    show(json, true, false);
  }

  /** Books and draws the record `json`, and says what its op (a scripted one if `scripted`) did. */
  function show(json, animate, scripted) {
    const rec = JSON.parse(json);
    take(rec, animate);
    render(animate);
    setStatus(`${scripted ? `Step ${applied}: ` : ''}${words(rec)}`, rec.error ? 'warn' : '');
  }

  function updateButtons() {
    const left = demo?.remaining() ?? 0;
    player.count(applied, left);
    progress.textContent = `${applied} applied · ${left} to go`;
  }

  // ---- Rendering -----------------------------------------------------------------------------
  function render(animate) {
    const rec = lastRecord;
    updateButtons();
    clock.textContent = `t = ${rec?.time_ms ?? 0} ms · ${plural(ncpus, 'CPU')}`;
    if (!rec) {
      lastOp.textContent = 'No operation applied yet.';
      tlBox.hidden = !scenarioRuns;
      // Before the first op there is no record: show the hierarchy the scenario sets up.
      for (const g of setupGroups) if (!colorOf.has(g.path)) colorOf.set(g.path, colorOf.size - 1);
      renderStructure(['/', ...setupGroups.map((g) => g.path)]);
      for (const g of [{ path: '/', files: {} }, ...setupGroups]) {
        const card = cards.get(g.path);
        if (!card) continue;
        for (const item of card.items) if (item.section) item.section.hidden = item.hide = true;
        const files = Object.entries(g.files ?? {}).map(([f, v]) => `${f} = ${v}`);
        card.setup.textContent = g.path === '/' ? 'the root cgroup' : files.length ? `set up with ${files.join(', ')}` : 'created with default limits';
        card.setup.hidden = false;
        card.el.hidden = card.hide = false;
      }
      renderProcesses(null);
      drawTimeline();
      return;
    }
    lastOp.replaceChildren(h('code', { text: opText(rec.op, version) }), h('span', { text: ` → ${resultText(rec, prevRecord)}` }));
    lastOp.classList.toggle('cg-bad', !!(rec.error || rec.fork_failed));
    if (rec.content != null) {
      content.hidden = false;
      content.textContent = `$ ${opText(rec.op, version)}\n${rec.content}`;
    } else if (rec.op.op !== 'run') {
      content.hidden = true;
    }
    tlBox.hidden = !scenarioRuns && !timeline;
    renderStructure(Object.keys(rec.cgroups));
    renderCards(rec, animate);
    renderProcesses(rec);
    if (!anim) drawTimeline();
    else player.kick();
  }

  let colourCache = new Map();
  function colour(path, shade = 0, alpha = 1) {
    const key = `${path}|${shade}|${alpha}`;
    return colourCache.get(key) ?? colourCache.set(key, colourOf(path, shade, alpha)).get(key);
  }
  function colourOf(path, shade, alpha) {
    const i = colorOf.get(path) ?? -1;
    const dark = darkMode.matches;
    if (i < 0) return `hsla(215,10%,${(dark ? 55 : 50) + shade}%,${alpha})`;
    return `hsla(${groupHue(i).toFixed(0)},${dark ? 60 : 65}%,${(dark ? 58 : 45) + shade}%,${alpha})`;
  }

  function renderStructure(paths) {
    const sig = `${version}|${paths.join('\n')}`;
    if (sig === structure) return;
    structure = sig;
    // Cards: keep existing ones, add new, drop gone.
    const spec = cardSpec(version);
    for (const [path, card] of cards) {
      if (paths.includes(path)) continue;
      cardObserver.unobserve(card.el);
      card.el.remove();
      cards.delete(path);
    }
    const order = [];
    for (const path of paths) {
      if (!cards.has(path)) cards.set(path, buildCard(path, spec));
      order.push(cards.get(path).el);
    }
    cardGrid.replaceChildren(...order);
    for (const sel of [spawnCg, writeCg]) {
      const keep = sel.value;
      setOptions(sel, paths);
      sel.value = sel.dataset.picked && paths.includes(keep) ? keep : (paths[1] ?? paths[0]);
    }
    // Legend entries, each with the milliseconds of the last run (filled by drawTimeline).
    legendMs = new Map();
    const entry = (key, swatch, label) => {
      const ms = h('span', { class: 'cg-legend-ms' });
      legendMs.set(key, ms);
      return h('li', null, swatch, label, ms);
    };
    legend.replaceChildren(
      ...paths.map((path) => entry(path, h('span', { class: 'cg-swatch', style: `background:${colour(path)}` }), h('code', { text: path }))),
      entry('throttled', h('span', { class: 'cg-swatch cg-hatch' }), h('span', { text: 'throttled' })),
      entry('idle', h('span', { class: 'cg-swatch cg-idle' }), h('span', { text: 'idle' })),
      h('li', null, h('span', { class: 'cg-swatch cg-refill', 'aria-hidden': 'true', text: '▼' }), h('span', { text: 'quota refill (period)' })),
    );
    if (timeline) timeline.labelled = false;
  }
  let legendMs = new Map();

  function buildCard(path, spec) {
    const items = [];
    const bars = {};
    const badge = h('span', { class: 'cg-badge', hidden: true });
    const setup = h('p', { class: 'cg-setup', hidden: true });
    const el = h('article', { class: 'cg-card', 'data-cgroup': path },
      h('h4', { class: 'cg-card-title' }, h('span', { class: 'cg-swatch', style: `background:${colour(path)}` }), h('code', { text: path }), badge),
      setup);
    cardObserver.observe(el);
    const part = (cls, bg) => h('span', { class: `cg-m-${cls}`, style: bg && `background:${bg}` });
    for (const [section, list, barKind] of spec) {
      const sec = h('div', { class: `cg-sec cg-sec-${section.replace(/\W/g, '')}` }, h('span', { class: 'cg-sec-title', text: section }));
      // The memory and pids bars: `{ el, ...parts }`, the parts in drawing order.
      const bar = (cls, parts) => {
        const b = { ...parts, el: h('div', { class: cls, 'aria-hidden': 'true' }, ...Object.values(parts)) };
        sec.append(b.el);
        return b;
      };
      if (barKind === 'mem') bars.mem = bar('cg-mbar', { anon: part('anon', colour(path)), file: part('file', colour(path, 22, 0.5)), high: part('high'), max: part('max') });
      if (barKind === 'pids') bars.pids = bar('cg-mbar cg-pbar', { cur: part('anon', colour(path)), max: part('max') });
      const kv = h('div', { class: 'cg-kvs' });
      for (const [kind, name, show] of list) {
        const [file, key] = name.split(' ');
        const it = { kind, file, key, show };
        const val = h('span', { class: 'cg-val', 'data-cgroup': path, 'data-key': name.replace(' ', ':') });
        const wrap = h('span', { class: kind === 'l' ? 'cg-kv cg-kv-lines' : 'cg-kv' }, h('code', { text: name }), ' ', val);
        kv.append(wrap);
        items.push({ it, val, wrap, last: undefined, shown: true });
      }
      sec.append(kv);
      el.append(sec);
      items.push({ section: sec, kind: barKind ?? section });
    }
    return { el, items, bars, badge, setup };
  }

  function fmtVal(it, v) {
    if (v === undefined) return undefined;
    if (it.kind === 'b') return fmtBytes(v);
    if (it.kind === 'l') return v.length ? v.join('\n') : '(none)';
    return String(v);
  }

  function renderCards(rec, animate) {
    const killedIn = new Map();
    for (const pid of rec.killed ?? []) {
      const p = rec.processes.find((x) => x.pid === pid);
      if (p) killedIn.set(p.cgroup, [...(killedIn.get(p.cgroup) ?? []), pid]);
    }
    const memOn = memoryRelevant(rec);
    const cpuOn = scenarioRuns || !!timeline || cpuRelevant(rec);
    cardPass = { rec, animate, killedIn, memOn, cpuOn };
    // With many cgroups only the cards on screen are updated; the others when they scroll in.
    const lazy = cards.size > 24;
    for (const [path, card] of cards) {
      if (lazy && !card.visible && !card.hide) card.stale = true;
      else updateCard(path, card, cardPass);
    }
  }

  let cardPass = null;
  const cardObserver = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const path = e.target.dataset.cgroup;
      const card = cards.get(path);
      if (!card || card.el !== e.target) continue;
      card.visible = e.isIntersecting;
      if (card.visible && card.stale && cardPass) updateCard(path, card, { ...cardPass, animate: false });
    }
  }, { rootMargin: '300px' });

  function updateCard(path, card, { rec, animate, killedIn, memOn, cpuOn }) {
    const c = rec.cgroups[path];
    if (!c) return;
    card.stale = false;
    if (!card.setup.hidden) card.setup.hidden = true;
    let sectionHasAny = false;
    let cardHasAny = false;
    for (const item of card.items) {
      if (item.section) {
        const hide = !sectionHasAny || (item.kind === 'mem' && !memOn) || (item.kind === 'cpu' && !cpuOn);
        if (item.hide !== hide) item.section.hidden = item.hide = hide;
        if (!hide) cardHasAny = true;
        sectionHasAny = false;
        continue;
      }
      const { it } = item;
      const raw = it.key ? c[it.file]?.[it.key] : c[it.file];
      let text = fmtVal(it, raw);
      const show = text !== undefined && (!it.show || it.show(c, it));
      if (it.kind === 'l' && show && !raw.length) text = undefined;
      const visible = show && text !== undefined;
      if (item.shown !== visible) {
        item.wrap.hidden = !visible;
        item.shown = visible;
      }
      if (visible) sectionHasAny = true;
      if (text !== undefined && text !== item.last) {
        item.val.textContent = text;
        if (it.kind === 'b' && typeof raw === 'number') item.val.title = `${raw} bytes`;
        const flash = item.last !== undefined && animate !== false && cards.size <= 12;
        if (flash || item.flash) item.val.classList.toggle('cg-changed', flash);
        item.flash = flash;
        item.last = text;
      } else if (item.flash) {
        item.val.classList.remove('cg-changed');
        item.flash = false;
      }
    }
    if (card.hide !== !cardHasAny) card.el.hidden = card.hide = !cardHasAny;
    // Memory bar.
    const mb = card.bars.mem;
    if (mb) {
      // v2's files, else v1's: a record has its version's only.
      const cur = c['memory.current'] ?? c['memory.usage_in_bytes'];
      const st = c['memory.stat'] ?? {};
      const anon = st.anon ?? st.total_rss;
      const file = st.file ?? st.total_cache;
      const max = c['memory.max'] ?? c['memory.limit_in_bytes'];
      const high = c['memory.high'];
      const peak = c['memory.peak'] ?? c['memory.max_usage_in_bytes'];
      const scale = finite(max) ? max : finite(high) ? high * 1.5 : Math.max(cur || 0, peak || 0) * 1.25;
      const pct = (x) => percentOf(x, scale);
      const on = typeof cur === 'number' && scale > 0;
      mb.el.hidden = !on;
      if (on) {
        mb.anon.style.width = pct(anon);
        mb.file.style.left = pct(anon);
        mb.file.style.width = pct(file);
        mb.high.hidden = !finite(high);
        if (finite(high)) mb.high.style.left = pct(high);
        mb.max.hidden = !finite(max);
        if (finite(max)) mb.max.style.left = pct(max);
        mb.el.title = `${fmtBytes(cur)} used${finite(max) ? ` of ${fmtBytes(max)}` : ''}`;
      }
    }
    const pb = card.bars.pids;
    if (pb) {
      const cur = c['pids.current'];
      const max = c['pids.max'];
      const on = typeof cur === 'number' && typeof max === 'number';
      pb.el.hidden = !on;
      if (on) {
        pb.cur.style.width = percentOf(cur, Math.max(max, cur));
        pb.max.style.left = percentOf(max, Math.max(max, cur));
      }
    }
    const k = killedIn.get(path);
    const under = c['memory.oom_control']?.under_oom === 1;
    card.badge.hidden = !k && !under;
    card.badge.textContent = k ? `${rec.op.op === 'kill' ? 'killed' : 'OOM kill'}: pid ${k.join(', ')}` : under ? 'under_oom' : '';
    card.el.classList.toggle('cg-oom', !!k && rec.op.op !== 'kill');
  }

  /** Whether any cgroup has a CPU limit, a non-default weight or CPU time used. */
  function cpuRelevant(rec) {
    return Object.values(rec.cgroups).some(
      (c) =>
        (c['cpu.stat']?.usage_usec ?? c['cpuacct.usage']) > 0 ||
        /^\d/.test(c['cpu.max']) ||
        c['cpu.cfs_quota_us'] >= 0 ||
        (c['cpu.weight'] ?? 100) !== 100 ||
        (c['cpu.shares'] ?? 1024) !== 1024,
    );
  }

  /**
   * Whether any cgroup uses memory or has a memory limit (else the memory rows are noise); a
   * record has its version's files only.
   */
  function memoryRelevant(rec) {
    return (
      rec.page_cache.length > 0 ||
      Object.values(rec.cgroups).some(
        (c) => (c['memory.current'] ?? c['memory.usage_in_bytes']) > 0 || finite(c['memory.max'] ?? c['memory.limit_in_bytes']) || finite(c['memory.high']),
      )
    );
  }

  function renderProcesses(rec) {
    const procs = rec?.processes ?? [];
    const tasks = rec?.tasks ?? [];
    const stateOf = new Map();
    for (const t of tasks) {
      const s = stateOf.get(t.pid);
      if (!s || t.state === 'running' || (s !== 'running' && /^(exited|killed|oom_killed)$/.test(s))) stateOf.set(t.pid, t.state);
    }
    const fails = rec && (rec.fork_failed != null || (rec.error && /^EAGAIN/.test(rec.error)));
    forkStat.hidden = !rec || (eagain === 0 && !fails);
    forkStat.textContent = `EAGAIN returned to the forking programs so far: ${eagain}${rec?.fork_error ? ` · last: ${rec.fork_error}` : ''}`;
    // Users: tasks per uid (RLIMIT_NPROC counts them system-wide) and the limits seen.
    const nproc = rec?.nproc ?? {};
    const uids = Object.keys(nproc);
    const limitsByUid = new Map();
    for (const p of procs) {
      const l = limits.get(p.pid);
      if (!l || p.threads === 0) continue;
      const set = limitsByUid.get(String(p.uid)) ?? new Set();
      set.add(l.cap ? 'CAP_SYS_RESOURCE (bypass)' : l.nproc == null ? 'unlimited' : `nproc=${l.nproc}`);
      limitsByUid.set(String(p.uid), set);
    }
    const showUsers = uids.length > 1 || uids.some((u) => u !== '0') || [...limits.values()].some((l) => l.nproc != null);
    const sig = JSON.stringify([procs.map((p) => [p.pid, p.cgroup, p.uid, p.threads, p.rss_bytes, stateOf.get(p.pid)]), nproc, [...limitsByUid].map(([u, s]) => [u, [...s]]), rec?.killed, rec?.fork_failed, rec?.error]);
    if (sig === chipsSig) return;
    chipsSig = sig;
    users.hidden = !showUsers;
    if (showUsers) {
      const rows = [h('span', { class: 'cg-sec-title', text: 'tasks per uid: RLIMIT_NPROC counts them across all cgroups' })];
      for (const u of uids) {
        const strip = h('span', { class: 'cg-strip', 'aria-hidden': 'true' });
        const lim = [...(limitsByUid.get(u) ?? [])];
        const setting = lim.find((x) => x.startsWith('nproc='));
        const limit = setting ? Number(setting.slice(6)) : null;
        let k = 0;
        for (const p of procs) {
          if (String(p.uid) !== u) continue;
          for (let t = 0; t < p.threads && k < 40; t++, k++) {
            if (k === limit) strip.append(h('span', { class: 'cg-strip-limit' }));
            strip.append(h('span', { class: 'cg-strip-task', style: `background:${colour(p.cgroup)}`, title: `pid ${p.pid} in ${p.cgroup}` }));
          }
        }
        if (k === limit) strip.append(h('span', { class: 'cg-strip-limit' }));
        const desc = u === '0' ? 'uid 0 bypasses RLIMIT_NPROC' : lim.length ? lim.join(', ') : '';
        rows.push(h('div', { class: 'cg-urow', 'data-uid': u },
          h('code', { text: `uid ${u}` }), strip,
          h('span', { class: 'cg-val', 'data-key': `nproc:${u}`, text: nproc[u] }),
          h('span', { class: 'cg-limit', text: ` task${nproc[u] === 1 ? '' : 's'}${desc ? ` · ${desc}` : ''}` })));
      }
      users.replaceChildren(...rows);
    }
    // Chips are kept per pid and only their text and class change; the list is re-attached
    // only when its membership does.
    const list = procs.slice(0, MAX_CHIPS).map((p) => {
      const st = stateOf.get(p.pid) ?? (p.threads ? 'sleeping' : 'exited');
      const cls = `cg-chip${p.threads === 0 ? ' cg-dead' : ''}${rec?.killed?.includes(p.pid) ? ' cg-killed' : ''}`;
      const txt = ` ${p.cgroup} · uid ${p.uid}${p.threads > 1 ? ` · ${p.threads} threads` : ''}${p.rss_bytes ? ` · ${fmtBytes(p.rss_bytes)}` : ''} · ${st.replace(/_/g, ' ')}`;
      let chip = chipOf.get(p.pid);
      if (!chip || chip.cgroup !== p.cgroup) {
        const sw = h('span', { class: 'cg-swatch', style: `background:${colour(p.cgroup)}` });
        chip = { li: h('li', { 'data-pid': p.pid }, sw, h('b', { text: p.pid })), span: h('span'), cgroup: p.cgroup };
        chip.li.append(chip.span);
        chipOf.set(p.pid, chip);
      }
      if (chip.cls !== cls) chip.li.className = chip.cls = cls;
      if (chip.txt !== txt) chip.span.textContent = chip.txt = txt;
      return chip.li;
    });
    const failed = rec ? refused(rec) : 0;
    if (failed) list.push(h('li', { class: 'cg-chip cg-fail', text: `✕ ${plural(failed, ['clone', 'spawn'].includes(rec.op.op) ? rec.op.op : 'fork')} refused: ${rec.fork_error ?? rec.error}` }));
    if (procs.length > MAX_CHIPS) list.push(h('li', { class: 'cg-chip cg-more', text: `+${procs.length - MAX_CHIPS} more` }));
    if (!procs.length) list.push(h('li', { class: 'cg-chip cg-more', text: 'no process yet' }));
    const order = list.map((li) => li.dataset.pid ?? li.textContent).join('|');
    if (order !== chipOrder) {
      chipOrder = order;
      chips.replaceChildren(...list);
    }
    // Process picker for fork / alloc / kill: live processes.
    const live = procs.filter((p) => p.threads > 0).slice(0, 500);
    setOptions(pidSel, live.map((p) => String(p.pid)), live.map((p) => `${p.pid} (${p.cgroup})`));
    for (const b of [btnFork, btnAlloc, btnKill]) b.disabled = live.length === 0;
  }

  // ---- Timeline canvas ----------------------------------------------------------------------
  let hatch = null;
  let hatchDark = null;
  let theme = null;
  let canvasW = 0;
  function hatchPattern(g) {
    const dark = darkMode.matches;
    if (hatch && hatchDark === dark) return hatch;
    const c = document.createElement('canvas');
    c.width = 8;
    c.height = 8;
    const x = c.getContext('2d');
    x.fillStyle = dark ? '#3a1d1d' : '#fde2e1';
    x.fillRect(0, 0, 8, 8);
    x.strokeStyle = dark ? '#ff8a80' : '#b3261e';
    x.lineWidth = 2;
    x.beginPath();
    x.moveTo(-2, 10); x.lineTo(10, -2);
    x.moveTo(-2, 2); x.lineTo(2, -2);
    x.moveTo(6, 10); x.lineTo(10, 6);
    x.stroke();
    hatch = g.createPattern(c, 'repeat');
    hatchDark = dark;
    return hatch;
  }

  function drawTimeline(now) {
    const tl = timeline;
    // Theme colours and the width are cached: reading them after DOM changes forces a
    // style and layout pass on every frame.
    if (!theme) {
      const css = getComputedStyle(root);
      const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
      theme = { fg: v('--fg', '#1b2330'), soft: v('--fg-soft', '#4a5566'), bgSoft: v('--bg-soft', '#f3f6fa'), border: v('--border', '#d5dde8') };
    }
    const { fg, bgSoft, border } = theme;
    const cpus = tl ? tl.ncpus : ncpus;
    const rowH = cpus > 32 ? 4 : cpus > 8 ? 10 : compact ? 16 : 22;
    const top = 20;
    const bottom = 18;
    if (!canvasW) canvasW = canvas.clientWidth || root.clientWidth;
    const cssW = Math.max(200, canvasW || 600);
    const cssH = top + cpus * rowH + bottom;
    if (canvas.style.height !== `${cssH}px`) canvas.style.height = `${cssH}px`;
    // Text is drawn from glyph sprites (see text() below), never with fillText.
    const g = paint(canvas, cssW, cssH, window.devicePixelRatio || 1);
    const gutter = cpus > 8 ? 34 : 44;
    const w = cssW - gutter - 6;
    g.fillStyle = bgSoft;
    g.fillRect(gutter, top, w, cpus * rowH);
    if (cpus <= 32) for (let c = 0; c < cpus; c++) text(g, `CPU ${c}`, 2, top + c * rowH + rowH / 2);
    else text(g, `${cpus} CPUs`, 2, top + 6);
    if (!tl) {
      text(g, 'No run yet: a run op draws each CPU here.', gutter + 8, top + Math.min(cpus * rowH, 44) / 2);
      canvas.setAttribute('aria-label', 'CPU timeline: no run yet');
      tlCaption.textContent = '';
      for (const el of legendMs.values()) el.textContent = '';
      return;
    }
    const frac = anim && now != null ? Math.min(1, (now - anim.t0) / anim.dur) : 1;
    const revealMs = tl.len * frac;
    const sx = w / tl.len;
    const f = tl.spans;
    const taskRank = new Map();
    const perGroup = new Map();
    let thrMs = 0;
    let idleMs = 0;
    const pat = hatchPattern(g);
    for (let i = 0; i + 3 < f.length; i += 4) {
      const cpu = f[i];
      const s = f[i + 1];
      let len = f[i + 2];
      const slot = f[i + 3];
      if (slot === SLOT_THROTTLED) thrMs += len;
      else if (slot === SLOT_IDLE) idleMs += len;
      else {
        const path = tl.tidGroup.get(slot) ?? '?';
        perGroup.set(path, (perGroup.get(path) ?? 0) + len);
      }
      if (s >= revealMs) continue;
      len = Math.min(len, revealMs - s);
      const x = gutter + s * sx;
      const y = top + cpu * rowH;
      const ww = Math.max(len * sx, 0.5);
      if (slot === SLOT_IDLE) continue;
      if (slot === SLOT_THROTTLED) {
        g.fillStyle = pat;
      } else {
        const path = tl.tidGroup.get(slot);
        let r = taskRank.get(slot);
        if (r === undefined) {
          r = taskRank.size;
          taskRank.set(slot, r);
        }
        g.fillStyle = colour(path, ((r % 3) - 1) * 9);
      }
      g.fillRect(x, y + 1, ww, rowH - 2);
      if (ww > 6 && slot !== SLOT_THROTTLED) {
        g.fillStyle = 'rgba(255,255,255,0.55)';
        g.fillRect(x, y + 1, 1, rowH - 2);
      }
    }
    // Period boundaries of groups with a quota: the refills.
    const end = tl.start + tl.len;
    tl.quotas.forEach((q, qi) => {
      const p = q.period / 1000;
      if (!(p > 0) || p * sx < 4) return;
      const first = Math.ceil(tl.start / p) * p;
      if (first > end + 1e-9 || first - tl.start > revealMs) return;
      g.fillStyle = colour(q.path);
      g.strokeStyle = colour(q.path, 0, 0.45);
      g.setLineDash([3, 3]);
      for (let t = first; t <= end + 1e-9; t += p) {
        const rel = t - tl.start;
        if (rel > revealMs) break;
        const x = gutter + rel * sx;
        g.beginPath();
        g.moveTo(x + 0.5, top);
        g.lineTo(x + 0.5, top + cpus * rowH);
        g.stroke();
        const y0 = 3 + (qi % 3) * 5;
        g.beginPath();
        g.moveTo(x - 4, y0);
        g.lineTo(x + 4, y0);
        g.lineTo(x, y0 + 7);
        g.fill();
      }
      g.setLineDash([]);
    });
    // Axis.
    g.strokeStyle = border;
    const axisY = top + cpus * rowH + 9;
    const ticks = niceTicks(tl.len, Math.max(2, Math.floor(w / 80)));
    for (const t of ticks) {
      const x = gutter + t * sx;
      g.beginPath();
      g.moveTo(x + 0.5, top + cpus * rowH);
      g.lineTo(x + 0.5, top + cpus * rowH + 3);
      g.stroke();
      text(g, `${tl.start + t}`, Math.min(Math.max(x, gutter + 10), cssW - 16), axisY, true);
    }
    text(g, 'ms', 2, axisY);
    if (frac < 1) {
      g.strokeStyle = fg;
      const x = gutter + revealMs * sx;
      g.beginPath();
      g.moveTo(x + 0.5, top - 2);
      g.lineTo(x + 0.5, top + cpus * rowH + 2);
      g.stroke();
    }
    // The words below change once per run, not per animation frame.
    if (tl.labelled) return;
    tl.labelled = true;
    const share = (ms) => `${ms} ms = ${(ms / tl.len).toFixed(2)} CPU`;
    for (const [key, el] of legendMs) {
      const many = legendMs.size > 16 && key !== 'throttled' && key !== 'idle';
      const ms = many ? 0 : key === 'throttled' ? thrMs : key === 'idle' ? idleMs : perGroup.get(key) ?? 0;
      const text = ms ? ` ${share(ms)}` : '';
      if (el.textContent !== text) el.textContent = text;
    }
    const words = [...perGroup].slice(0, 8).map(([p, ms]) => `${p} ran ${ms} ms`);
    if (perGroup.size > 8) words.push(`${perGroup.size - 8} more groups ran`);
    if (thrMs) words.push(`throttled ${thrMs} ms`);
    canvas.setAttribute('aria-label', `CPU timeline from ${tl.start} to ${end} ms on ${tl.ncpus} CPUs: ${words.join(', ') || 'idle'}`);
    tlCaption.textContent = `${tl.start}–${end} ms on ${plural(tl.ncpus, 'CPU')}${tl.quotas.length ? ` · quota: ${tl.quotas.slice(0, 4).map((q) => `${q.path} ${q.quota / 1000} ms per ${q.period / 1000} ms`).join(', ')}${tl.quotas.length > 4 ? ` and ${tl.quotas.length - 4} more` : ''}` : ''}${tl.truncated ? ' · truncated: more spans than the timeline keeps' : ''}`;
  }

  // Canvas text is slow to shape on every frame, and tick labels change with every run: each
  // character is drawn once into a sprite, in the theme's soft colour, and labels are laid out
  // from those.
  let sprites = new Map();
  function glyph(ch) {
    let sp = sprites.get(ch);
    if (!sp) {
      const c = document.createElement('canvas');
      const m = c.getContext('2d');
      m.font = FONT;
      const w = m.measureText(ch).width;
      const cw = Math.ceil(w + 1);
      paint(c, cw, 14, window.devicePixelRatio || 1);
      // Sizing the canvas reset its state.
      m.font = FONT;
      m.fillStyle = theme.soft;
      m.textBaseline = 'middle';
      m.fillText(ch, 0, 7);
      sp = { c, w, cw };
      sprites.set(ch, sp);
    }
    return sp;
  }
  function text(g, str, x, y, centre = false) {
    const gs = [...str].map(glyph);
    let cx = centre ? x - gs.reduce((n, sp) => n + sp.w, 0) / 2 : x;
    for (const sp of gs) {
      g.drawImage(sp.c, cx, y - 7, sp.cw, 14);
      cx += sp.w;
    }
  }

  function niceTicks(len, n) {
    const raw = len / n;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
    const out = [];
    for (let t = 0; t <= len + 1e-9; t += step) out.push(+t.toFixed(6));
    return out;
  }

  // ---- Events --------------------------------------------------------------------------------
  for (const sel of [spawnCg, writeCg]) sel.onchange = () => (sel.dataset.picked = '1');
  writeFile.onchange = () => {
    writeValue.value = WRITABLE[version][writeFile.value];
  };
  const redraw = () => {
    hatch = null;
    theme = null;
    sprites = new Map();
    colourCache = new Map();
    if (!anim) drawTimeline();
  };
  darkMode.addEventListener('change', redraw);
  let lastW = 0;
  const ro = new ResizeObserver(() => {
    const wNow = canvas.clientWidth;
    if (wNow !== lastW) {
      lastW = wNow;
      canvasW = wNow;
      redraw();
    }
  });
  ro.observe(canvas);

  // ---- Start ---------------------------------------------------------------------------------
  // For the browser tests: the last record, and the last run's timeline as the frame gave it.
  root.demo = {
    get lastRecord() {
      return lastRecord;
    },
    get timeline() {
      return timeline && { start: timeline.start, spans: [...timeline.spans], truncated: timeline.truncated, ncpus: timeline.ncpus };
    },
  };
  root.dataset.scenario = player.name;
  try {
    start(player.text, ctx.step, player.name);
  } catch (err) {
    setStatus(`The scenario could not start: ${err.message}`, 'error');
    updateButtons();
  }
  if (ctx.autoplay) player.start();
  // reveal.js centred the slide while the demo was loading: let it lay the slide out again.
  if (root.closest('.reveal')) requestAnimationFrame(() => window.dispatchEvent(new Event('resize')));

  return {
    pause: player.pause,
    resume: player.resume,
    destroy() {
      player.destroy();
      darkMode.removeEventListener('change', redraw);
      ro.disconnect();
      cardObserver.disconnect();
      demo?.free();
      demo = null;
      root.replaceChildren();
      root.classList.remove('cg-demo', 'cg-embed');
    },
  };
}
