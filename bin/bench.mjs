#!/usr/bin/env node
// `npm run bench [-- NAME ARGS…]`: runs bench/NAME.ts (default: ingest) through tsx.
import { register } from 'tsx/esm/api';

register();
const [name = 'ingest', ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], `bench/${name}.ts`, ...rest];
await import(`../bench/${name}.ts`);
