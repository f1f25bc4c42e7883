#!/usr/bin/env node
// pathlens CLI launcher: runs the TypeScript sources through tsx, so a checkout works after
// `npm install` with no build step. The engine's worker thread is started the same way.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
