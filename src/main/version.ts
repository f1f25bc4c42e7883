// The tool's version, from package.json (two levels up from src/main and out/main, three from a
// bundle in node_modules/.cache/pathlens).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = ['../../package.json', '../../../package.json']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find(
    (p) => existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'pathlens',
  );

/** pathlens version string. */
export const TOOL_VERSION: string = pkg
  ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
  : 'unknown';
