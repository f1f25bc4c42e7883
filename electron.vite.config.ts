// electron-vite: main (with the ingest worker as its own entry), preload, renderer.
import { defineConfig } from 'electron-vite';
import { copyFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';

// The one schema file is read at run time; the bundles need a copy beside them.
const copySchema: Plugin = {
  name: 'pathlens-copy-schema',
  writeBundle() {
    mkdirSync(resolve(import.meta.dirname, 'out/main'), { recursive: true });
    copyFileSync(
      resolve(import.meta.dirname, 'src/main/store/schema.sql'),
      resolve(import.meta.dirname, 'out/main/schema.sql'),
    );
  },
};

export default defineConfig({
  main: {
    plugins: [copySchema],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/index.ts'),
          worker: resolve(import.meta.dirname, 'src/main/ingest/worker.ts'),
        },
        external: ['sqlite3', 'electron'],
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // a sandboxed preload runs as a classic script: CommonJS
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    esbuild: { jsx: 'automatic' },
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
  },
});
