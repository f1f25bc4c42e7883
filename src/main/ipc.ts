// Electron IPC transport of the API: one invoke channel carrying {channel, req}; main answers only
// known channels and only from our own window's frames.
import { ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { API_EVENTS } from '../shared/api';
import type { Engine } from './server/engine';
import { dispatchIpc } from './server/dispatch';

/** The single invoke channel and the event channel used by the preload bridge. */
export const IPC_CALL = 'pathlens:call';
export const IPC_EVENT = 'pathlens:event';

function trustedSender(e: IpcMainInvokeEvent, win: BrowserWindow, rendererUrl: string): boolean {
  const frame = e.senderFrame;
  return e.sender.id === win.webContents.id && frame !== null && frame.url.startsWith(rendererUrl);
}

/** Wires the engine to a window; returns a function that unwires it. */
export function registerIpc(engine: Engine, win: BrowserWindow, rendererUrl: string): () => void {
  ipcMain.handle(IPC_CALL, (e, msg: unknown) => dispatchIpc(engine, msg, trustedSender(e, win, rendererUrl)));
  const offs = API_EVENTS.map((ev) =>
    engine.on(ev, (payload) => {
      if (!win.isDestroyed()) win.webContents.send(IPC_EVENT, { event: ev, payload });
    }),
  );
  return () => {
    ipcMain.removeHandler(IPC_CALL);
    offs.forEach((f) => f());
  };
}
