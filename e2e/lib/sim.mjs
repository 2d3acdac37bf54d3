// The native simulation's trace of a curated scenario: what the browser demos must show.
// Runs `cargo run --release -p wasm-demos --bin sim` once per scenario and caches the result.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = new Map();

/** The trace (an array of records) `sim <kind>` prints for `wasm-demos/scenarios/<kind>/<name>.json`. */
export function nativeTrace(kind, name) {
  const key = `${kind}/${name}`;
  if (!cache.has(key)) {
    const file = path.join('wasm-demos', 'scenarios', kind, `${name}.json`);
    const args = ['run', '--release', '--quiet', '-p', 'wasm-demos', '--bin', 'sim', '--', kind, file];
    cache.set(
      key,
      new Promise((resolve, reject) => {
        const child = spawn('cargo', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', (err) => reject(new Error(`cannot run cargo: ${err.message}`)));
        child.on('close', (code) => {
          if (code === 0) resolve(JSON.parse(stdout));
          else reject(new Error(`sim ${kind} ${file} exited with ${code}: ${stderr.trim()}`));
        });
      }),
    );
  }
  return cache.get(key);
}
