#!/usr/bin/env node
// `npm start`: the desktop app on the bundled sample incident — or, where Electron's binary cannot
// be had (no download, no display), the same UI from `pathlens serve`, with its URL printed.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

function electronBinary() {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    return { why: 'no display' };
  try {
    // electron's index.js downloads the binary on first use and throws when it cannot.
    const bin = require('electron');
    if (typeof bin === 'string' && existsSync(bin)) return { bin };
    return { why: 'the Electron binary is missing' };
  } catch (e) {
    return { why: `the Electron binary could not be downloaded (${String(e.message ?? e).split('\n')[0]})` };
  }
}

const e = electronBinary();
if (e.bin) {
  if (!run(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'build']))
    process.exit(1);
  const child = spawn(e.bin, [resolve(root, 'out/main/index.js'), ...args], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(`pathlens: opening in the browser instead of Electron: ${e.why}.`);
  if (!existsSync(resolve(root, 'out/renderer/index.html')) && !run('npm', ['run', '--silent', 'build:web']))
    process.exit(1);
  const child = spawn(process.execPath, [resolve(root, 'bin/pathlens.mjs'), 'serve', ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  process.on('SIGINT', () => child.kill('SIGINT'));
  child.on('exit', (code) => process.exit(code ?? 0));
}
