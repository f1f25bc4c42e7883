// Starts the engine in a worker thread and exposes progress, cancel and the result.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IngestProgress } from '../../shared/api';
import type { IngestOptions, IngestResult } from './pipeline';

/** A running ingest. */
export interface IngestJob {
  result: Promise<IngestResult>;
  cancel(): void;
}

/**
 * Where the worker's code is: the built `worker.js` next to the Electron main bundle, or this
 * folder's `worker.ts` run through tsx (CLI and tests from a checkout).
 */
function workerEntry(): URL {
  const built = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  return new URL('./worker-boot.mjs', import.meta.url);
}

/** Runs an ingest in a worker thread. */
export function startIngest(
  opts: Omit<IngestOptions, 'onProgress' | 'cancel'>,
  onProgress?: (p: IngestProgress) => void,
): IngestJob {
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  const worker = new Worker(workerEntry(), { workerData: { opts, cancel } });
  const result = new Promise<IngestResult>((resolve, reject) => {
    let settled = false;
    worker.on(
      'message',
      (m: { type: string; progress?: IngestProgress; result?: IngestResult; message?: string }) => {
        if (m.type === 'progress' && m.progress) onProgress?.(m.progress);
        else if (m.type === 'done' && m.result) {
          settled = true;
          resolve(m.result);
          void worker.terminate();
        } else if (m.type === 'error') {
          settled = true;
          reject(new Error(m.message));
          void worker.terminate();
        }
      },
    );
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`ingest worker exited with code ${code}`));
    });
  });
  return { result, cancel: () => Atomics.store(flag, 0, 1) };
}
