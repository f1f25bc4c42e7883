// Preload (sandboxed, context-isolated): exposes window.pathlens built from the shared API contract,
// and nothing else — no ipcRenderer, no Node.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { ApiEvents, Channel, EventName, PathlensApi, Req, Res } from '../shared/api';

const IPC_CALL = 'pathlens:call';
const IPC_EVENT = 'pathlens:event';

const api: PathlensApi & { pathForFile(file: File): string } = {
  call<C extends Channel>(channel: C, req: Req<C>): Promise<Res<C>> {
    return ipcRenderer.invoke(IPC_CALL, { channel, req }) as Promise<Res<C>>;
  },
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    const fn = (_e: unknown, msg: { event: string; payload: ApiEvents[E] }): void => {
      if (msg.event === event) listener(msg.payload);
    };
    ipcRenderer.on(IPC_EVENT, fn);
    return () => ipcRenderer.off(IPC_EVENT, fn);
  },
  // Dropped files: the sandbox hides their paths, Electron tells them here.
  pathForFile: (file: File) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('pathlens', api);
