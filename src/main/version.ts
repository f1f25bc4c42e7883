// The tool's version, from package.json.
import { readFileSync } from 'node:fs';

/** pathlens version string. */
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
