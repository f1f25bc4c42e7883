// Worker-thread entry of the engine: runs one ingest and posts progress; the parent cancels by
// setting the shared flag (the loop polls it between batches).
import { parentPort, workerData } from 'node:worker_threads';
import type { IngestOptions } from './pipeline';
import { ingest } from './pipeline';

interface WorkerInput {
  opts: Omit<IngestOptions, 'onProgress' | 'cancel'>;
  cancel: SharedArrayBuffer;
}

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
