// Starts the TypeScript worker when running from a checkout (CLI, tests); the Electron build
// bundles worker.ts to worker.js instead. The worker is bundled here too, once per source change,
// into node_modules/.cache/pathlens: run through tsx it would carry a loader thread (≈35 MB of
// peak RSS, measured on the 1.2M-record bench) for the whole ingest.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

// A signature of every source file the worker may include: names, sizes and modification times.
function signature() {
  let h = 0x811c9dc5;
  const add = (s) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  };
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mjs|sql)$/.test(e.name)) {
        const st = statSync(p);
        add(`${p}:${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(join(root, 'src/main'));
  walk(join(root, 'src/shared'));
  return (h >>> 0).toString(16);
}

async function bundled() {
  const cache = join(root, 'node_modules/.cache/pathlens');
  const out = join(cache, `worker-${signature()}.mjs`);
  if (!existsSync(out)) {
    const { build } = await import('esbuild');
    mkdirSync(cache, { recursive: true });
    const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
    await build({
      entryPoints: [join(here, 'worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['sqlite3', 'electron'],
      outfile: tmp,
      logLevel: 'silent',
    });
    // the store reads its schema beside the module that runs it
    copyFileSync(join(root, 'src/main/store/schema.sql'), join(cache, 'schema.sql'));
    renameSync(tmp, out);
  }
  return out;
}

let entry = null;
try {
  entry = await bundled();
} catch {
  // no esbuild or no writable cache: run the sources through tsx
}
if (entry) await import(pathToFileURL(entry).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./worker.ts');
}
