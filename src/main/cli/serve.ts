// `pathlens serve` / `pathlens open`: the UI over loopback HTTP (or the Electron app when present).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Kind } from '../context/detect';
import { startServer } from '../server/http';
import { Engine } from '../server/engine';

/** The bundled sample incident, opened when no input is given. */
export const SAMPLE_INCIDENT = resolve(import.meta.dirname, '../../../examples/sample-incident');

/** Runs the server until interrupted. */
export async function serveCommand(
  cmd: 'serve' | 'open',
  inputs: string[],
  db: string | null,
  host: string,
  port: number,
  kinds: Record<string, Kind>,
): Promise<number> {
  const engine = new Engine(mkdtempSync(join(tmpdir(), 'pathlens-serve-')));
  if (db) await engine.openCase(db);
  else {
    const list = inputs.length ? inputs : existsSync(SAMPLE_INCIDENT) ? [SAMPLE_INCIDENT] : [];
    if (list.length === 1 && list[0]!.endsWith('.sqlite')) await engine.openCase(list[0]!);
    else if (list.length) engine.startIngest(list, kinds);
  }
  const server = await startServer(engine, { host, port });
  console.log(`listening on ${server.url}`);
  if (cmd === 'open') console.log('(Electron is not available here: open the URL above in a browser)');
  await new Promise<void>((res) => {
    process.once('SIGINT', res);
    process.once('SIGTERM', res);
  });
  await server.close();
  await engine.close();
  return 0;
}
