// Starts the TypeScript worker through tsx when running from a checkout (CLI, tests); the Electron
// build bundles worker.ts to worker.js instead.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
