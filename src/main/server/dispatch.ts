// The IPC message check, apart from Electron so it is tested: main answers only known channels
// from trusted senders, with the same engine the HTTP transport uses.
import { isChannel } from '../../shared/api';
import type { Engine } from './engine';

/** Validates one IPC message `{channel, req}` and answers it. */
export async function dispatchIpc(engine: Engine, msg: unknown, trusted: boolean): Promise<unknown> {
  if (!trusted) throw new Error('refused: foreign sender');
  const m = msg as { channel?: unknown; req?: unknown } | null;
  if (!m || typeof m.channel !== 'string' || !isChannel(m.channel))
    throw new Error('refused: unknown channel');
  return engine.handle(m.channel, (m.req ?? {}) as never);
}
