// Worker-thread entry of the engine: runs one ingest and posts progress; the parent cancels by
// setting the shared flag (the loop polls it between batches).
import { setFlagsFromString } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { IngestOptions } from './pipeline';
import { ingest } from './pipeline';

interface WorkerInput {
  opts: Omit<IngestOptions, 'onProgress' | 'cancel'>;
  cancel: SharedArrayBuffer;
}

// V8 lets the old generation grow to several times what is live before collecting it; an ingest
// promotes a steady stream of short-lived flows, so the heap would settle far above its live data.
// 100 % growth keeps peak RSS near 260 MB on the 1.2M-record bench (V8's default: ≈ 50 MB more), measured.
// Not a hard limit: a capture with many more live connections still gets the heap it needs.
// PATHLENS_HEAP_GROWTH=<percent> changes it (0: V8's default).
setFlagsFromString(`--heap-growing-percent=${Number(process.env.PATHLENS_HEAP_GROWTH ?? 100) || 0}`);

const data = workerData as WorkerInput;
const port = parentPort;
if (port) {
  ingest({
    ...data.opts,
    cancel: new Int32Array(data.cancel),
    onProgress: (p) => port.postMessage({ type: 'progress', progress: p }),
  }).then(
    (result) => port.postMessage({ type: 'done', result }),
    (err: unknown) =>
      // the message for users; the stack only when asked for (PATHLENS_DEBUG=1)
      port.postMessage({
        type: 'error',
        message:
          err instanceof Error
            ? process.env.PATHLENS_DEBUG
              ? (err.stack ?? err.message)
              : err.message
            : String(err),
      }),
  );
}
