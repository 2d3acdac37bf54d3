// The namespaces demo: a process table with one pid per pid-namespace level, pid namespaces as
// nested boxes, the other namespace kinds per process (by inode), networks with lo and veth
// pairs, and each scripted command with what it changed.
//
// `mount(root, ctx)` is called by ../demos.js. Everything shown from a scenario or a record is
// untrusted text: the DOM is built with createElement/textContent only.

import { field, h, helpPanel, prepend, setOptions, stylesheet, transport } from './kit.js';

/** The `CLONE_NEW*` flags, with the namespace kind and the unshare(1) option each creates. */
const FLAGS = [
  ['CLONE_NEWNS', 'mnt', '--mount'],
  ['CLONE_NEWUTS', 'uts', '--uts'],
  ['CLONE_NEWIPC', 'ipc', '--ipc'],
  ['CLONE_NEWNET', 'net', '--net'],
  ['CLONE_NEWPID', 'pid', '--pid'],
  ['CLONE_NEWUSER', 'user', '--user'],
  ['CLONE_NEWCGROUP', 'cgroup', '--cgroup'],
  ['CLONE_NEWTIME', 'time', '--time'],
];
const FLAG_OPTION = Object.fromEntries(FLAGS.map(([f, , o]) => [f, o]));
const NS_COLUMNS = ['pid', 'mnt', 'uts', 'ipc', 'net', 'user', 'cgroup', 'time'];
const TYPE_ORDER = ['pid', 'user', 'uts', 'net', 'mnt', 'ipc', 'cgroup', 'time'];
const INITIAL_INODES = new Set([4026531834, 4026531835, 4026531836, 4026531837, 4026531838, 4026531839, 4026531840, 4026531992]);
const SIGNALS = ['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGCHLD', 'SIGSTOP', 'SIGCONT', 'SIGTSTP'];
const STATE_WORDS = ['running', 'stopped', 'zombie', 'init exiting'];
const LOG_SIZE = 12;
const MAX_ROWS = 300; // process rows drawn; the rest are counted
const NONE = 0xffffffff;

// ---------------------------------------------------------------- helpers

const SVG_NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text != null) el.textContent = text;
  return el;
}

const short = (inode) => (inode == null ? '–' : `…${String(inode).slice(-4)}`);
const nsName = (type, inode) => `${type}:[${inode}]`;
const hueOf = (inode) => (Number(inode) * 47) % 360;
const capsWords = (hex) => {
  const n = BigInt(`0x${hex}`).toString(2).split('1').length - 1;
  return n === 0 ? 'no caps' : n >= 41 ? 'all caps' : `${n} caps`;
};

// ---------------------------------------------------------------- ops and records in words

/** A shell-like rendering of one op (as the simulation accepted it), e.g. `unshare --mount --pid --fork bash`. */
function commandText(op) {
  const t = op.target ? `<${op.target}>` : 'self';
  const flags = (list) => list?.join('|') ?? '';
  switch (op.op) {
    case 'fork': return `fork()  → ${op.child}`;
    case 'clone': return `clone(${flags(op.flags) || '0'})  → ${op.child}${op.command ? ` runs ${op.command}` : ''}`;
    case 'unshare': return `unshare(${flags(op.flags)})`;
    case 'unshare_cmd': {
      const parts = ['unshare', ...(op.flags ?? []).map((f) => FLAG_OPTION[f] ?? f)];
      if (op.map_root_user) parts.push('--map-root-user');
      if (op.mount_proc) parts.push('--mount-proc');
      if (op.propagation) parts.push(`--propagation ${op.propagation}`);
      if (op.fork) parts.push('--fork');
      parts.push(op.command ?? 'bash');
      return parts.join(' ') + (op.child ? `  → ${op.child}` : '');
    }
    case 'setns':
      if (op.fd) return `setns(fd ${op.fd})`;
      if (op.path) return `setns(open("${op.path}"))`;
      return `nsenter -t <${op.target ?? 'self'}> ${(op.kinds ?? []).map((f) => FLAG_OPTION[f] ?? f).join(' ')}`;
    case 'exec': return `exec ${op.command}`;
    case 'exit': return `exit ${op.code ?? 0}`;
    case 'kill': return `kill -${String(op.signal).replace(/^SIG/, '')} <${op.target}>`;
    case 'sigaction': return `sigaction(${op.signal}, ${op.action})`;
    case 'set_child_subreaper': return `prctl(PR_SET_CHILD_SUBREAPER, ${op.on ? 1 : 0})`;
    case 'wait': return op.child ? `waitpid(<${op.child}>, WNOHANG)` : 'waitpid(-1, WNOHANG)';
    case 'setuid': return `setresuid(${op.uid}); setresgid(${op.gid})`;
    case 'cap_drop': {
      const caps = op.caps;
      const list = caps.slice(0, 3).map((c) => String(c).toLowerCase()).join(',');
      return `capsh --drop=${list}${caps.length > 3 ? `,… (${caps.length} capabilities)` : ''}`;
    }
    case 'sethostname': return `hostname ${op.hostname}`;
    case 'setdomainname': return `domainname ${op.domainname}`;
    case 'hostname': return 'hostname';
    case 'ip_link_add_veth': return `ip link add ${op.name} type veth peer name ${op.peer}`;
    case 'ip_link_set_netns': return `ip link set ${op.dev} netns <${op.target}>`;
    case 'ip_addr_add': return `ip addr add ${op.addr} dev ${op.dev}`;
    case 'ip_link_set_up': return `ip link set ${op.dev} up`;
    case 'ip_link_set_down': return `ip link set ${op.dev} down`;
    case 'ip_link': return 'ip addr';
    case 'listen': return `nc -l ${op.addr ?? '0.0.0.0'} ${op.port}`;
    case 'connect': return `nc ${op.addr} ${op.port}`;
    case 'ping': return `ping -c1 ${op.addr}`;
    case 'mount':
      return op.bind ? `mount --bind ${op.source} ${op.target}` : `mount -t ${op.fstype ?? 'none'} ${op.source} ${op.target}`;
    case 'umount': return `umount${op.lazy ? ' -l' : ''} ${op.target}`;
    case 'make_shared': case 'make_private': case 'make_slave': case 'make_unbindable':
      return `mount --make-${op.recursive ? 'r' : ''}${op.op.slice(5)} ${op.target}`;
    case 'pivot_root': return `pivot_root ${op.new_root} ${op.put_old}`;
    case 'write_uid_map': case 'write_gid_map':
      return `echo '${String(op.map).replace(/\n/g, '\\n')}' > /proc/${t}/${op.op.slice(6)}`;
    case 'write_setgroups': return `echo ${op.value} > /proc/${t}/setgroups`;
    case 'ipcmk': return `ipcmk ${{ shm: '-M', msg: '-Q', sem: '-S' }[op.kind] ?? op.kind}${op.key ? ` (key ${op.key})` : ''}`;
    case 'ipcrm': return `ipcrm ${{ shm: '-m', msg: '-q', sem: '-s' }[op.kind] ?? op.kind} ${op.id}`;
    case 'mq_open': return `mq_open ${op.name}`;
    case 'ipcs': return 'ipcs';
    case 'cgroup_move': return `echo <${op.target ?? 'self'}> > /sys/fs/cgroup${op.path === '/' ? '' : op.path}/cgroup.procs`;
    case 'set_time_offset': return `echo '${op.clock} ${op.offset_secs} ${op.offset_nanos ?? 0}' > /proc/${t}/timens_offsets`;
    case 'clock_gettime': return `clock_gettime(CLOCK_${String(op.clock).toUpperCase()})`;
    case 'sleep': return `sleep ${op.seconds}`;
    case 'ns_open': return `exec {${op.fd}}< /proc/${t}/ns/${op.kind}`;
    case 'ns_close': return `exec {${op.fd}}<&-`;
    case 'ns_bind': return `mount --bind /proc/${t}/ns/${op.kind} ${op.path}`;
    case 'ps': return 'ps -e';
    case 'lsns': return 'lsns';
    case 'read': return `cat /proc/${t}/${op.file === 'ns' ? 'ns/*' : op.file}`;
    default: return op.op;
  }
}

/** `text` cut to `n` characters, with an ellipsis where it was cut. */
const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** A device's state as drawn: lo's operstate UNKNOWN (it has no carrier to sense) shows as UP. */
const devState = (d) => (d.state === 'UNKNOWN' ? 'UP' : d.state);

/** An op as the script lists it: `label: command`, or the command alone when no process runs it. */
function scriptLine(op) {
  return `${op.as ? `${op.as}: ` : ''}${commandText(op)}`;
}

/** The prompt for an op: `label# ` (uid 0 inside its user namespace) or `label$ `. */
function promptOf(op, state) {
  if (op.as == null) return '$ ';
  const p = state?.processes?.find((x) => x.label === op.as);
  return `${op.as}${p && p.uid === 0 ? '#' : '$'} `;
}

/** The result of a record in words: `→ pid 4 (pid 1 inside)`, `✗ EPERM: …`. */
function resultText(rec) {
  if (rec.error != null) return `✗ ${rec.error}`;
  if ('reaped' in rec) {
    return rec.reaped == null ? '→ nothing has exited yet' : `→ reaped ${rec.reaped} (pid ${rec.pid}, ${rec.status})`;
  }
  if (rec.pid != null) {
    return rec.pid_inside != null && rec.pid_inside !== rec.pid
      ? `→ pid ${rec.pid} for the caller, pid ${rec.pid_inside} inside its new namespace`
      : `→ pid ${rec.pid}`;
  }
  if (rec.signal != null) return `→ ${rec.op.signal ?? 'signal'}: ${rec.signal}`;
  if (rec.ps) return `→ ${rec.ps.length} process${rec.ps.length === 1 ? '' : 'es'} visible`;
  if (rec.id != null) return `→ id ${rec.id}`;
  if (rec.secs != null) return `→ ${rec.secs}.${String(rec.nanos ?? 0).padStart(9, '0')} s`;
  if (rec.reached != null) return `→ reached ${rec.reached}`;
  if (rec.output) {
    if (rec.output.length === 0) return '→ (no output)';
    if (rec.output.length === 1) return `→ ${rec.output[0]}`;
    return `→ ${rec.output.length} lines`;
  }
  return '→ ok';
}

const HOST_PID_NS = 4026531836;

/** A sentence on why a record came out as it did, for the walkthrough's notable moments. */
function hintOf(rec, prev) {
  const op = rec.op;
  const actor = rec.state.processes.find((p) => p.label === op.as);
  if (rec.errno === 'ENOMEM' && /PIDNS_ADDING/.test(rec.error)) {
    return 'The init of that pid namespace has died: the kernel refuses new pids there, so every later fork into it fails.';
  }
  if (rec.errno === 'EPERM' && /CAP_/.test(rec.error) && actor && actor.uid === 0 && actor.kuid !== 0) {
    return `Root inside a user namespace (uid 0 there, uid ${actor.kuid} on the host) holds capabilities only over namespaces that user namespace owns.`;
  }
  if (rec.errno === 'EPERM' && /CAP_SYS_ADMIN/.test(rec.error) && actor && actor.uid === 0) {
    return 'uid 0 without CAP_SYS_ADMIN: dropping capabilities is what keeps a container’s root from changing shared state.';
  }
  // A failed call's record has its error and the state, nothing else.
  if (rec.error != null) return '';
  if (rec.signal?.startsWith('ignored: init')) {
    return 'A namespace’s init only receives signals it has a handler for; SIGKILL and SIGSTOP still work when sent from an ancestor namespace.';
  }
  if (op.op === 'kill' && op.signal === 'SIGKILL' && rec.signal === 'terminated' && prev) {
    const target = prev.processes.find((p) => p.label === op.target);
    if (target && target.nspid.length > 1 && target.nspid[target.nspid.length - 1] === 1) {
      return 'Killing a pid namespace’s init kills every process in it (nested namespaces too).';
    }
  }
  if (op.op === 'ps' && rec.ps && actor && actor.ns.pid !== HOST_PID_NS) {
    return rec.ps.some((e) => e.label === 'init')
      ? 'ps reads /proc, and the /proc mounted here still shows the host’s pid namespace: mount a fresh /proc to see only the container.'
      : 'Only processes with a pid in this namespace (its own and nested ones), numbered from its init, pid 1: the /proc mounted here belongs to it.';
  }
  if (op.op === 'ip_link' && rec.output?.length === 1 && /lo: state DOWN/.test(rec.output[0])) {
    return 'A new network namespace has only lo, and it is down: no address, no route.';
  }
  if (op.op === 'pivot_root') return 'The image is now /; the old root hangs under put_old until it is unmounted.';
  if (op.op === 'umount' && op.lazy) return 'The host’s mounts are gone from this mount namespace.';
  if (op.op === 'exit' && prev) {
    const me = prev.processes.find((q) => q.label === op.as);
    const orphans = prev.processes.filter((p) => me && p.ppid[0] === me.nspid[0] && p !== me);
    if (orphans.length) return `${orphans.map((p) => p.label).join(', ')} lost ${orphans.length === 1 ? 'its' : 'their'} parent and ${orphans.length === 1 ? 'was' : 'were'} reparented (to a subreaper, else to the namespace’s init).`;
  }
  if (op.op === 'cgroup_move') return 'Only the cgroup path is modelled here; the cgroups demo models the limits.';
  return '';
}

function psLines(ps) {
  const rows = ps.map((e) => `${String(e.pid).padStart(5)} ${String(e.ppid).padStart(5)} ${String(e.stat).padEnd(4)} ${e.cmd}`);
  return ['  PID  PPID STAT CMD', ...rows];
}

/** What changed between two states, as lines (`+ …`, `− …`, `~ …`). */
function stateDiff(prev, cur) {
  const out = [];
  if (!prev || !cur) return out;
  const pmap = new Map(prev.processes.map((p) => [p.label, p]));
  const cmap = new Map(cur.processes.map((p) => [p.label, p]));
  for (const [label, p] of cmap) {
    const o = pmap.get(label);
    if (!o) {
      out.push(['add', `process ${label} (${p.comm}): NSpid ${p.nspid.join(' ')}`]);
      continue;
    }
    if (o.state !== p.state || !!o.exiting !== !!p.exiting) {
      out.push(['chg', `${label}: state ${o.state} → ${p.state}${p.exiting ? ' (init waiting for its members)' : ''}${p.exit ? `, ${p.exit}` : ''}`]);
    }
    if (o.comm !== p.comm) out.push(['chg', `${label}: runs ${o.comm} → ${p.comm}`]);
    if (`${o.ppid}` !== `${p.ppid}`) out.push(['chg', `${label}: parent pid ${o.ppid.join('/')} → ${p.ppid.join('/')} (reparented)`]);
    if (o.uid !== p.uid || o.kuid !== p.kuid) out.push(['chg', `${label}: uid ${o.uid} → ${p.uid} inside (kuid ${o.kuid} → ${p.kuid} on the host)`]);
    if (o.cap_eff !== p.cap_eff) out.push(['chg', `${label}: effective ${capsWords(o.cap_eff)} → ${capsWords(p.cap_eff)} (CapEff ${p.cap_eff})`]);
    if (o.cgroup !== p.cgroup) out.push(['chg', `${label}: cgroup ${o.cgroup} → ${p.cgroup}`]);
    if (!!o.subreaper !== !!p.subreaper) out.push(['chg', `${label}: child subreaper ${p.subreaper ? 'on' : 'off'}`]);
    for (const k of Object.keys({ ...o.ns, ...p.ns })) {
      if (o.ns[k] !== p.ns[k] && p.ns[k] != null && o.ns[k] != null) {
        out.push(['chg', `${label}: ${k} ${short(o.ns[k])} → ${short(p.ns[k])} (${o.ns[k]} → ${p.ns[k]})`]);
      }
    }
  }
  for (const [label, o] of pmap) if (!cmap.has(label)) out.push(['del', `process ${label} gone (${o.state === 'Z' ? 'reaped' : 'killed and reaped'})`]);

  const key = (n) => `${n.type}:${n.inode}`;
  const pn = new Map(prev.namespaces.map((n) => [key(n), n]));
  const cn = new Map(cur.namespaces.map((n) => [key(n), n]));
  for (const [k, n] of cn) {
    const o = pn.get(k);
    const name = nsName(n.type, n.inode);
    if (!o) {
      out.push(['add', `${name} created${n.type === 'uts' ? `, hostname ${n.hostname}` : ''}`]);
      continue;
    }
    for (const f of Object.keys({ ...o, ...n })) {
      if (f === 'type' || f === 'inode') continue;
      const a = o[f];
      const b = n[f];
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      if (Array.isArray(a) || Array.isArray(b)) {
        const as = (a ?? []).map(String);
        const bs = (b ?? []).map(String);
        for (const line of bs) if (!as.includes(line)) out.push(['add', `${name} ${f}: ${line.trim()}`]);
        for (const line of as) if (!bs.includes(line)) out.push(['del', `${name} ${f}: ${line.trim()}`]);
      } else if (f === 'adding' && b === false) {
        out.push(['chg', `${name}: PIDNS_ADDING cleared (its init died: new forks get ENOMEM)`]);
      } else {
        out.push(['chg', `${name} ${f}: ${a ?? '–'} → ${b ?? '–'}`]);
      }
    }
  }
  for (const [k, o] of pn) if (!cn.has(k)) out.push(['del', `${nsName(o.type, o.inode)} destroyed (no process, fd or mount refers to it)`]);
  // New processes and namespaces first, pid member counts last (the sort is stable).
  const rank = ([kind, text]) => (kind === 'add' && !text.includes(': ') ? 0 : / members: /.test(text) ? 3 : kind === 'add' ? 1 : 2);
  return out.sort((a, b) => rank(a) - rank(b));
}

// ---------------------------------------------------------------- the frame

/** Reads the process-tree frame: rows `{ id, parent, state, levels: [{ ns, pid }] , label }`. */
function readTree(demo, memory) {
  // labels() allocates, so it comes before the view; the view is re-created after every call.
  const labels = demo.labels().split('\n');
  const f = new Uint32Array(memory.buffer, demo.frame_ptr(), demo.frame_len());
  const rows = [];
  for (let i = 0, r = 0; i + 4 <= f.length; r += 1) {
    const n = f[i + 3];
    const row = { id: f[i], parent: f[i + 1] === NONE ? null : f[i + 1], state: f[i + 2], levels: [], label: labels[r] ?? '?' };
    i += 4;
    for (let k = 0; k < n && i + 2 <= f.length; k += 1, i += 2) row.levels.push({ ns: f[i], pid: f[i + 1] });
    rows.push(row);
  }
  return rows;
}

// ---------------------------------------------------------------- mount

export function mount(root, ctx) {
  stylesheet('namespaces');
  const { glue, memory } = ctx;

  let demo = null;
  let scriptOps = [];
  let state = null; // the state after the last record (the booted host's before any)
  let applied = 0;
  let scripted = 0;
  let childSeq = 1;
  root.demo = { lastRecord: null };

  // ---- toolbar
  const player = transport(root, ctx, 'ns', {
    step: stepOnce,
    left: () => demo?.remaining() ?? 0,
    load: (text) => load(text, 0),
    reset() {
      try {
        load(player.text, 0);
      } catch (err) {
        setStatus(`Reset failed: ${err?.message ?? err}`, 'error');
      }
    },
  });
  const setStatus = player.say;
  const { compact } = player;
  const progress = h('span', { class: 'ns-progress', 'aria-live': 'off' });
  const toolbar = h(
    'div',
    { class: 'ns-toolbar', role: 'toolbar', 'aria-label': 'Namespaces demo controls' },
    field('Scenario', player.picker, 'ns-field'),
    player.step,
    player.play,
    player.reset,
    field('Speed', player.speeds, 'ns-field'),
    progress,
  );

  // ---- the current command
  const cmdPrompt = h('span', { class: 'ns-prompt' });
  const cmdText = h('span');
  const cmdLine = h('code', { class: 'ns-cmdline', 'data-testid': 'command' }, cmdPrompt, cmdText);
  const resultLine = h('p', { class: 'ns-result', 'data-testid': 'result' });
  const hint = h('p', { class: 'ns-hint', hidden: true });
  const output = h('pre', { class: 'ns-output', hidden: true });
  const changes = h('ul', { class: 'ns-changes', 'data-testid': 'changes', 'aria-label': 'What changed' });
  const current = h(
    'div',
    { role: 'region', class: 'ns-current', 'aria-label': 'Current command' },
    h('h3', { text: 'Command' }),
    cmdLine,
    resultLine,
    hint,
    output,
    h('h4', { text: 'What changed' }),
    changes,
  );

  // ---- the state view
  const treeBox = h('div', { 'data-testid': 'tree' });
  const matrix = h('div', { class: 'ns-matrix-wrap' });
  const netBox = h('div', { class: 'ns-net' });
  const cards = h('div', { class: 'ns-cards' });
  const netCol = h('div', { class: 'ns-col ns-net-col' }, h('h3', { text: 'Networks: devices per net namespace' }), netBox);
  const stateView = h(
    'div',
    { role: 'region', class: 'ns-state', 'data-testid': 'state', 'aria-label': 'Processes and namespaces' },
    h('div', { class: 'ns-col' }, h('h3', { text: 'Processes by pid namespace' }), treeBox),
    h('div', { class: 'ns-col' }, h('h3', { text: 'Namespaces of each process' }), matrix),
    netCol,
    cards,
  );

  // ---- interactive controls
  const actSel = h(
    'select',
    { 'aria-label': 'Action', onchange: syncFields },
    ...[['fork'], ['clone', 'clone with CLONE_NEW*'], ['unshare', 'unshare(CLONE_NEW*)'], ['kill'], ['exit'], ['sethostname'], ['ps', 'ps -e'], ['ip_link', 'ip addr']].map(([value, text = value]) => h('option', { value, text })),
  );
  const asSel = h('select', { 'aria-label': 'Process performing it (as)', 'data-testid': 'as' });
  const targetSel = h('select', { 'aria-label': 'Target process', 'data-testid': 'target' });
  const childIn = h('input', { type: 'text', 'aria-label': 'Label of the new process', 'data-testid': 'child', maxlength: '32', size: '8', value: 'p1' });
  const sigSel = h('select', { 'aria-label': 'Signal', 'data-testid': 'signal' }, ...SIGNALS.map((text) => h('option', { text })));
  const codeIn = h('input', { type: 'number', 'aria-label': 'Exit code', 'data-testid': 'code', value: '0', min: '0', max: '255', step: '1' });
  const hostIn = h('input', { type: 'text', 'aria-label': 'Hostname', maxlength: '64', size: '10', value: 'box' });
  const flagSet = h(
    'fieldset',
    { class: 'ns-flags' },
    h('legend', { text: 'CLONE_NEW*' }),
    ...FLAGS.map(([flag, kind]) => h('label', { class: 'ns-flag' }, h('input', { type: 'checkbox', value: flag, 'data-flag': flag, 'aria-label': flag }), h('span', { text: kind }))),
  );
  const applyBtn = h('button', { type: 'button', 'data-testid': 'apply', 'aria-label': 'Run the action', text: 'Run' });
  const fld = (label, el) => field(label, el, 'ns-field');
  const fAs = fld('as', asSel);
  const fChild = fld('child', childIn);
  const fTarget = fld('target', targetSel);
  const fSig = fld('signal', sigSel);
  const fCode = fld('code', codeIn);
  const fHost = fld('hostname', hostIn);
  const controls = h(
    'details',
    { class: 'ns-try', open: !compact },
    h('summary', { text: 'Try it: run your own syscalls' }),
    h('div', { class: 'ns-try-row' }, fld('action', actSel), fAs, fChild, fTarget, fSig, fCode, fHost, applyBtn),
    flagSet,
  );

  // ---- script, log, help
  const script = h('ol', { class: 'ns-script' });
  const logList = h('ol', { class: 'ns-log', reversed: true });
  const lower = h(
    'div',
    { class: 'ns-lower' },
    h('div', { role: 'region', 'aria-label': 'The script' }, h('h3', { text: 'Script' }), script),
    h('div', { role: 'region', 'aria-label': 'Log' }, h('h3', { text: 'Log' }), logList),
  );

  root.replaceChildren(toolbar, player.summary, player.status, h('div', { class: 'ns-main' }, current, stateView), controls, lower, helpPanel('namespaces', 'ns', 'How to read this, and what the model simplifies').el);

  // ---------------------------------------------------------------- behaviour

  /** The booted host's state, from a throwaway handle running one read-only op. */
  function bootStateOf({ hostname, uptime_secs }) {
    let probe = null;
    try {
      probe = new glue.NamespaceDemo(JSON.stringify({ hostname, uptime_secs, ops: [{ op: 'hostname', as: 'init' }] }));
      return JSON.parse(probe.step()).state;
    } catch {
      return null;
    } finally {
      probe?.free();
    }
  }

  /** Creates the handle for `text`; on success replaces the old one. Throws the parser's error. */
  function load(text, steps) {
    const fresh = new glue.NamespaceDemo(text);
    demo?.free();
    demo = fresh;
    // The simulation has just parsed the text.
    const doc = JSON.parse(text);
    scriptOps = doc.ops;
    state = bootStateOf(doc);
    applied = 0;
    scripted = 0;
    logList.replaceChildren();
    root.demo.lastRecord = null;
    let last = null;
    let prev = state;
    for (let i = 0; i < steps; i += 1) {
      const json = demo.step();
      if (json === undefined) break;
      last = JSON.parse(json);
      prev = state;
      accept(last, true);
    }
    renderScript();
    render(last, prev);
  }

  /** Bookkeeping of a new record (no drawing). */
  function accept(rec, isScripted) {
    applied += 1;
    if (isScripted) scripted += 1;
    state = rec.state;
    root.demo.lastRecord = rec;
    prepend(
      logList,
      h('li', { class: rec.error != null ? 'ns-err' : null, value: rec.step + 1 }, h('code', { text: scriptLine(rec.op) }), ` ${resultText(rec)}`),
      LOG_SIZE,
    );
  }

  function stepOnce() {
    if (!demo) return false;
    const json = demo.step();
    if (json === undefined) {
      setStatus('End of the script: reset, pick another scenario, or run your own commands below.');
      return false;
    }
    const rec = JSON.parse(json);
    const prev = state;
    accept(rec, true);
    render(rec, prev);
    return true;
  }

  function applyOp(op) {
    if (!demo) return;
    let json;
    try {
      json = demo.apply(JSON.stringify(op));
    } catch (err) {
      setStatus(`Rejected: ${err?.message ?? err}`, 'error');
      return;
    }
    const rec = JSON.parse(json);
    const prev = state;
    accept(rec, false);
    render(rec, prev);
  }

  // ---- drawing

  function render(rec, prev) {
    const rows = readTree(demo, memory);
    renderCurrent(rec, prev);
    renderTree(rows);
    renderMatrix(prev);
    renderNet();
    renderCards();
    markScript();
    refreshChoices(rows);
    const left = demo.remaining();
    progress.textContent = `command ${scripted} of ${scripted + left}${applied > scripted ? ` (+${applied - scripted} yours)` : ''}`;
    player.count(applied, left);
    const end = left ? '' : ' End of the script.';
    if (!rec) setStatus(`Ready: ${left} commands to step through.`);
    else if (rec.error != null) setStatus(`${rec.errno ?? 'error'}: the command failed; the state is unchanged.${end}`, 'error');
    else setStatus(`Command ${rec.step + 1}: ${resultText(rec).replace(/^→ |\.$/g, '')}.${end}`);
  }

  function renderCurrent(rec, prev) {
    if (!rec) {
      cmdPrompt.textContent = '';
      cmdText.textContent = 'The host has booted: press Step to run the first command.';
      resultLine.textContent = '';
      resultLine.className = 'ns-result';
      hint.hidden = true;
      output.hidden = true;
      changes.replaceChildren(h('li', { class: 'ns-none', text: 'nothing yet' }));
      return;
    }
    cmdPrompt.textContent = promptOf(rec.op, prev);
    cmdText.textContent = commandText(rec.op);
    resultLine.textContent = resultText(rec);
    resultLine.className = rec.error != null ? 'ns-result ns-err' : 'ns-result';
    hint.textContent = hintOf(rec, prev);
    hint.hidden = hint.textContent === '';
    const lines = rec.ps ? psLines(rec.ps) : rec.output?.length > 1 ? rec.output : null;
    output.hidden = !lines || lines.length === 0;
    output.textContent = lines ? lines.join('\n') : '';
    const diff = stateDiff(prev, rec.state);
    if (diff.length === 0) {
      changes.replaceChildren(h('li', { class: 'ns-none', text: rec.error != null ? 'nothing: the call failed' : 'nothing in the state (a read-only command)' }));
    } else {
      const shown = diff.slice(0, 40).map(([kind, text]) => h('li', { class: `ns-${kind}`, text: `${{ add: '+', del: '−', chg: '~' }[kind]} ${text}` }));
      if (diff.length > 40) shown.push(h('li', { class: 'ns-none', text: `… and ${diff.length - 40} more` }));
      changes.replaceChildren(...shown);
    }
  }

  const procOf = (label) => state?.processes?.find((p) => p.label === label);
  const nsOf = (type, inode) => state?.namespaces?.find((n) => n.type === type && n.inode === inode);

  function renderTree(rows) {
    // Pid namespaces from the frame: each row's levels chain gives the nesting.
    const nodes = new Map();
    const roots = [];
    for (const row of rows) {
      row.levels.forEach((lv, k) => {
        if (!nodes.has(lv.ns)) {
          const node = { inode: lv.ns, level: k, members: [], children: [] };
          nodes.set(lv.ns, node);
          if (k === 0) roots.push(node);
          else nodes.get(row.levels[k - 1].ns)?.children.push(node);
        }
      });
      const own = row.levels[row.levels.length - 1];
      if (own) nodes.get(own.ns).members.push(row);
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    let drawn = 0;
    const drawNs = (node) => {
      const info = nsOf('pid', node.inode);
      const head = h(
        'div',
        { class: 'ns-box-head' },
        h('span', { class: 'ns-box-name', text: nsName('pid', node.inode) }),
        h('span', { class: 'ns-box-meta', text: node.level === 0 ? 'the host (level 0)' : `level ${node.level}` }),
      );
      if (info && info.adding === false) head.append(h('span', { class: 'ns-badge ns-dead', text: 'init died: forks get ENOMEM' }));
      const box = h('div', { class: `ns-box lvl-${node.level % 6}`, 'data-ns': node.inode }, head);
      const ul = h('ul', { class: 'ns-procs' });
      const inNs = new Set(node.members.map((r) => r.id));
      const kids = new Map();
      const top = [];
      for (const r of node.members) {
        if (r.parent != null && inNs.has(r.parent)) (kids.get(r.parent) ?? kids.set(r.parent, []).get(r.parent)).push(r);
        else top.push(r);
      }
      const walk = (r, depth) => {
        if (drawn >= MAX_ROWS) return;
        drawn += 1;
        ul.append(procRow(r, depth, byId, node.level));
        for (const c of kids.get(r.id) ?? []) walk(c, depth + 1);
      };
      for (const r of top) walk(r, 0);
      box.append(ul);
      for (const c of node.children) box.append(drawNs(c));
      return box;
    };
    const boxes = roots.map(drawNs);
    if (rows.length > drawn) boxes.push(h('p', { class: 'ns-note', text: `… and ${rows.length - drawn} more processes not drawn` }));
    treeBox.replaceChildren(...boxes);
  }

  function procRow(r, depth, byId, level) {
    const p = procOf(r.label);
    const pids = h('span', { class: 'ns-nspid', 'data-testid': 'nspid', title: 'NSpid: one pid per pid namespace level, host first' });
    r.levels.forEach((lv, k) => {
      if (k > 0) pids.append(' ');
      pids.append(h('span', { class: `ns-pid lvl-${k % 6}`, title: `pid ${lv.pid} in ${nsName('pid', lv.ns)}`, text: lv.pid }));
    });
    const parent = byId.get(r.parent);
    return h(
      'li',
      { class: `ns-proc st-${r.state}`, 'data-label': r.label, style: `--depth: ${depth}` },
      pids,
      h('span', { class: 'ns-label', text: r.label }),
      p && h('span', { class: 'ns-comm', text: p.comm }),
      r.state !== 0 && h('span', { class: `ns-badge st-b${r.state}`, text: STATE_WORDS[r.state] ?? r.state }),
      p && h('span', { class: 'ns-uid', title: `uid ${p.uid} in its user namespace, ${p.kuid} on the host`, text: p.uid === p.kuid ? `uid ${p.uid}` : `uid ${p.uid} (host ${p.kuid})` }),
      p?.subreaper && h('span', { class: 'ns-badge', text: 'subreaper' }),
      parent && parent.levels.length !== r.levels.length
        ? h('span', { class: 'ns-parent', text: `parent ${parent.label} (outside, pid ${parent.levels[parent.levels.length - 1]?.pid})` })
        : parent && depth === 0 && level > 0 && h('span', { class: 'ns-parent', text: `parent ${parent.label}` }),
    );
  }

  function renderMatrix(prev) {
    if (!state) {
      matrix.replaceChildren();
      return;
    }
    const procs = state.processes;
    // pid_for_children and time_for_children get a column when some process's differs.
    const differs = (c) => procs.some((p) => p.ns[c] != null && p.ns[c] !== p.ns[c.replace('_for_children', '')]);
    const cols = [...NS_COLUMNS, ...['pid_for_children', 'time_for_children'].filter(differs)];
    const prevMap = new Map((prev?.processes ?? []).map((p) => [p.label, p]));
    const thead = h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'process' }), ...cols.map((c) => h('th', { scope: 'col', text: c.replace('_for_children', '→kids') }))));
    const tbody = h('tbody');
    for (const p of procs.slice(0, MAX_ROWS)) {
      const tr = h('tr', {}, h('th', { scope: 'row', text: p.label }));
      const old = prevMap.get(p.label);
      for (const c of cols) {
        const v = p.ns[c];
        const td = h('td', { text: short(v), title: v == null ? 'not held (zombie)' : nsName(c.replace(/_for_children$/, ''), v) });
        if (v != null && !INITIAL_INODES.has(v)) {
          td.classList.add('ns-new');
          td.style.setProperty('--h', hueOf(v));
        }
        if (old && old.ns[c] !== v) td.classList.add('ns-changed');
        tr.append(td);
      }
      tbody.append(tr);
    }
    matrix.replaceChildren(
      h('table', { class: 'ns-matrix' }, h('caption', { text: 'inode of /proc/<pid>/ns/<type>, last 4 digits (…1840 = 4026531840); grey = the host’s' }), thead, tbody),
    );
  }

  function parseDevices(lines) {
    const devs = [];
    for (const line of lines) {
      const m = /^(\d+): ([^@:]+)(?:@([^:]+))?: state (\S+)/.exec(line);
      if (m) devs.push({ index: Number(m[1]), name: m[2], peer: m[3] ?? null, state: m[4], addrs: [] });
      else if (devs.length) devs[devs.length - 1].addrs.push(line.trim().replace(/^inet6? /, ''));
    }
    return devs;
  }

  function renderNet() {
    const nets = (state?.namespaces ?? []).filter((n) => n.type === 'net').slice(0, 6);
    netCol.hidden = compact && nets.length < 2;
    if (nets.length === 0) {
      netBox.replaceChildren();
      return;
    }
    const W = 230;
    const GAP = 40;
    const ROW = 46;
    const cols = nets.map((n) => ({ n, devs: parseDevices(n.devices) }));
    const height = 40 + Math.max(...cols.map((c) => Math.max(1, c.devs.length))) * ROW + 10;
    const width = cols.length * W + (cols.length - 1) * GAP;
    const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'ns-net-svg', role: 'img', 'data-testid': 'net' });
    svg.style.setProperty('--cols', cols.length);
    svg.append(s('title', {}, `Network namespaces and their devices: ${cols.map((c) => `${nsName('net', c.n.inode)} has ${c.devs.map((d) => `${d.name} ${devState(d)}`).join(', ') || 'no device'}`).join('; ')}`));
    const pos = new Map(); // `${col}:${index}` → {x, y}
    cols.forEach((c, i) => {
      const x = i * (W + GAP);
      const users = state.processes.filter((p) => p.ns.net === c.n.inode).map((p) => p.label);
      svg.append(
        s('rect', { x: x + 1, y: 1, width: W - 2, height: height - 2, rx: 8, class: INITIAL_INODES.has(c.n.inode) ? 'net-ns host' : 'net-ns' }),
        s('text', { x: x + 10, y: 18, class: 'net-title' }, nsName('net', c.n.inode)),
        s('text', { x: x + 10, y: 32, class: 'net-users' }, clip(users.length ? users.join(', ') : 'no process (held by an fd or mount)', 40)),
      );
      c.devs.forEach((d, k) => {
        const y = 40 + k * ROW;
        const up = devState(d) === 'UP';
        svg.append(
          s('rect', { x: x + 8, y, width: W - 16, height: ROW - 8, rx: 6, class: `dev ${up ? 'up' : 'down'}` }),
          s('text', { x: x + 16, y: y + 15, class: 'dev-name' }, `${d.index}: ${d.name} ${devState(d)}`),
          s('text', { x: x + 16, y: y + 30, class: 'dev-addr' }, d.addrs.length ? clip(d.addrs.join(' '), 34) : 'no address'),
        );
        pos.set(`${i}:${d.index}`, { x, y: y + (ROW - 8) / 2 });
      });
    });
    // veth pairs: `name@ifN` (peer in another namespace) or `name@peer` (same namespace).
    const drawn = new Set();
    cols.forEach((c, i) => {
      for (const d of c.devs) {
        if (!d.peer) continue;
        let target = null;
        const m = /^if(\d+)$/.exec(d.peer);
        cols.forEach((c2, j) => {
          for (const d2 of c2.devs) {
            if (m ? j !== i && d2.index === Number(m[1]) && d2.peer === `if${d.index}` : j === i && d2.name === d.peer) target = { j, d2 };
          }
        });
        if (!target) continue;
        const key = [`${i}:${d.index}`, `${target.j}:${target.d2.index}`].sort().join('-');
        if (drawn.has(key)) continue;
        drawn.add(key);
        const a = pos.get(`${i}:${d.index}`);
        const b = pos.get(`${target.j}:${target.d2.index}`);
        const cls = d.state === 'UP' && target.d2.state === 'UP' ? 'veth carrier' : 'veth ';
        const [l, r] = a.x < b.x ? [a, b] : [b, a];
        svg.append(
          i === target.j
            ? s('path', { d: `M ${a.x + W - 8} ${a.y} C ${a.x + W + 12} ${a.y}, ${b.x + W + 12} ${b.y}, ${b.x + W - 8} ${b.y}`, class: cls })
            : s('line', { x1: l.x + W - 8, y1: l.y, x2: r.x + 8, y2: r.y, class: cls }),
        );
      }
    });
    netBox.replaceChildren(svg);
  }

  function card(n, body) {
    const users = state.processes.filter((p) => p.ns[n.type] === n.inode || (n.type === 'pid' && p.ns.pid === n.inode)).map((p) => p.label);
    const host = INITIAL_INODES.has(n.inode);
    return h(
      'div',
      { class: `ns-card${host ? ' host' : ''}`, 'data-ns': n.inode, style: !host && `--h: ${hueOf(n.inode)}` },
      h('div', { class: 'ns-card-head' }, h('strong', { text: nsName(n.type, n.inode) }), h('span', { class: 'ns-box-meta', text: users.length ? users.join(', ') : 'no process' })),
      ...body,
    );
  }

  function renderCards() {
    if (!state) {
      cards.replaceChildren();
      return;
    }
    const groups = new Map(TYPE_ORDER.map((t) => [t, []]));
    for (const n of state.namespaces) groups.get(n.type)?.push(n);
    const sections = [];
    // A section per namespace type, titled `type: what` (or just the type).
    const sect = (type, what, body) => {
      const list = groups.get(type);
      if (list.length === 0) return;
      sections.push(h('div', { role: 'region', class: 'ns-group' }, h('h3', { text: what ? `${type}: ${what}` : type }), h('div', { class: 'ns-group-cards' }, ...list.slice(0, 40).map((n) => card(n, body(n))))));
    };
    const kv = (k, v) => h('div', { class: 'ns-kv' }, h('span', { class: 'k', text: k }), h('span', { class: 'v', text: v }));
    sect('uts', 'hostnames', (n) => [kv('hostname', n.hostname), kv('domainname', n.domainname)]);
    sect('user', 'who is root', (n) => {
      // One line per distinct (uid inside, uid on the host, capabilities).
      const who = new Map();
      for (const p of state.processes.filter((q) => q.ns.user === n.inode)) {
        const k = `uid ${p.uid} inside = ${p.kuid} on the host, ${capsWords(p.cap_eff)}`;
        (who.get(k) ?? who.set(k, []).get(k)).push(p.label);
      }
      return [
        kv('level', n.level),
        kv('owner uid', n.owner_uid),
        kv('uid_map', n.uid_map.join('; ') || '(not written: ids show as 65534)'),
        kv('gid_map', n.gid_map.join('; ') || '(not written)'),
        kv('setgroups', n.setgroups),
        ...[...who].map(([k, labels]) => h('div', { class: 'ns-who', text: `${labels.join(', ')}: ${k}` })),
      ];
    });
    sect('pid', '', (n) => [kv('level', n.level), kv('members', n.members), kv('new pids', n.adding ? 'allowed' : 'refused (ENOMEM): init died')]);
    sect('mnt', 'mount tables', (n) => {
      const list = n.mounts;
      const pre = h('pre', { class: 'ns-mounts', text: list.join('\n') });
      return [h('details', {}, h('summary', { text: `${list.length} mounts` }), pre)];
    });
    sect('ipc', '', (n) => [kv('objects', n.objects.join('; ') || 'none')]);
    sect('cgroup', '', (n) => [kv('root', n.root)]);
    sect('time', '', (n) => [
      kv('monotonic offset', `${n.monotonic_offset_ns / 1e9} s`),
      kv('boottime offset', `${n.boottime_offset_ns / 1e9} s`),
      kv('offsets', n.frozen ? 'frozen (a process entered)' : 'writable'),
    ]);
    cards.replaceChildren(...sections);
  }

  function renderScript() {
    script.replaceChildren(...scriptOps.map((op) => h('li', {}, h('code', { text: scriptLine(op) }))));
  }

  function markScript() {
    const items = [...script.children];
    const el = items[scripted - 1];
    items.forEach((li, i) => {
      li.className = li === el ? 'now' : i < scripted ? 'done' : '';
      if (li === el) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
    if (!compact && el && script.scrollHeight > script.clientHeight) {
      script.scrollTop = Math.max(0, el.offsetTop - script.offsetTop - script.clientHeight / 2);
    }
  }

  function refreshChoices(rows) {
    const labels = rows.map((r) => r.label);
    const live = rows.filter((r) => r.state !== 2).map((r) => r.label);
    setOptions(asSel, live);
    setOptions(targetSel, labels);
    if (labels.includes(childIn.value)) {
      while (labels.includes(`p${childSeq}`)) childSeq += 1;
      childIn.value = `p${childSeq}`;
    }
  }

  function syncFields() {
    const a = actSel.value;
    fChild.hidden = !(a === 'fork' || a === 'clone');
    fTarget.hidden = a !== 'kill';
    fSig.hidden = a !== 'kill';
    fCode.hidden = a !== 'exit';
    fHost.hidden = a !== 'sethostname';
    flagSet.hidden = !(a === 'clone' || a === 'unshare');
  }

  function runAction() {
    const a = actSel.value;
    const as = asSel.value;
    if (!as) {
      setStatus('Pick the process that runs the command.', 'error');
      return;
    }
    const flags = [...flagSet.querySelectorAll(':checked')].map((i) => i.value);
    const op = { op: a, as };
    if (a === 'fork' || a === 'clone') op.child = childIn.value.trim();
    if (a === 'clone') op.flags = flags;
    if (a === 'unshare') {
      if (flags.length === 0) {
        setStatus('unshare needs at least one CLONE_NEW* flag.', 'error');
        return;
      }
      op.flags = flags;
    }
    if (a === 'kill') {
      op.target = targetSel.value;
      op.signal = sigSel.value;
    }
    if (a === 'exit') {
      const code = Number(codeIn.value);
      if (!Number.isInteger(code)) {
        setStatus('The exit code must be a whole number.', 'error');
        return;
      }
      op.code = code;
    }
    if (a === 'sethostname') op.hostname = hostIn.value;
    applyOp(op);
  }

  applyBtn.onclick = runAction;
  controls.onkeydown = (e) => {
    if (e.key === 'Enter' && e.target instanceof HTMLInputElement && e.target.type !== 'checkbox') {
      e.preventDefault();
      runAction();
    }
  };

  syncFields();
  try {
    load(player.text, ctx.step);
  } catch (err) {
    setStatus(`The scenario is invalid: ${err?.message ?? err}`, 'error');
  }
  if (ctx.autoplay) player.start();

  return {
    pause: player.pause,
    resume: player.resume,
    destroy() {
      player.destroy();
      demo?.free();
      demo = null;
      root.replaceChildren();
    },
  };
}
