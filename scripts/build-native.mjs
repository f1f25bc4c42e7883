#!/usr/bin/env node
// Builds the optional SQLite extension that speeds up bulk inserts (src/main/store/rows-ext.c)
// into out/native/. Run by `npm install` (postinstall). Without a C compiler or SQLite's headers
// pathlens still works: the case file is then written through SQL-side decoding (≈4× slower writes).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/main/store/rows-ext.c');
const outDir = join(root, 'out/native');
const ext = process.platform === 'win32' ? 'dll' : process.platform === 'darwin' ? 'dylib' : 'so';
const out = join(outDir, `pathlens-rows.${ext}`);

// The headers of the SQLite that sqlite3 was built with when it was built from source, else the system's.
function headerDirs() {
  const dirs = [];
  const gen = join(root, 'node_modules/sqlite3/build/Release/obj/gen');
  if (existsSync(gen))
    for (const d of readdirSync(gen)) if (existsSync(join(gen, d, 'sqlite3ext.h'))) dirs.push(join(gen, d));
  for (const d of ['/usr/include', '/usr/local/include', '/opt/homebrew/include'])
    if (existsSync(join(d, 'sqlite3ext.h'))) dirs.push(d);
  return dirs;
}

const inc = headerDirs()[0];
if (!inc) {
  console.log('pathlens: sqlite3ext.h not found; bulk inserts use the SQL path (slower)');
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const cc = process.env.CC ?? 'cc';
const args = ['-O2', '-fPIC', '-shared', `-I${inc}`, src, '-o', out];
if (process.platform === 'darwin') args.splice(3, 0, '-undefined', 'dynamic_lookup');
const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.status !== 0) {
  console.log(`pathlens: could not compile ${src} with ${cc}; bulk inserts use the SQL path (slower)`);
  process.exit(0);
}
console.log(`pathlens: built ${out}`);
