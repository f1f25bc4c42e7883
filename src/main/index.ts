// Electron shell: one sandboxed, context-isolated window with a strict CSP, the menu, dialogs and
// recent cases. Everything else is the same engine the CLI and `pathlens serve` use.
import { app, BrowserWindow, dialog, Menu, session, shell } from 'electron';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from './server/engine';
import { registerIpc } from './ipc';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-src 'none'";
const rendererIndex = resolve(import.meta.dirname, '../renderer/index.html');
const rendererUrl = pathToFileURL(resolve(import.meta.dirname, '../renderer')).href;
const sample = resolve(import.meta.dirname, '../../examples/sample-incident');
const recentFile = (): string => join(app.getPath('userData'), 'recent.json');

function recent(): string[] {
  try {
    return JSON.parse(readFileSync(recentFile(), 'utf8')) as string[];
  } catch {
    return [];
  }
}
function remember(path: string): void {
  const list = [path, ...recent().filter((p) => p !== path)].slice(0, 10);
  writeFileSync(recentFile(), JSON.stringify(list));
  app.addRecentDocument(path);
}

async function main(): Promise<void> {
  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, cb) =>
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } }),
  );
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  const engine = new Engine(mkdtempSync(join(tmpdir(), 'pathlens-app-')));
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'pathlens',
    webPreferences: {
      preload: resolve(import.meta.dirname, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  // No navigation away from the app, no new windows: links open in the system browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith(rendererUrl)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:/.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  registerIpc(engine, win, rendererUrl);

  const setTitle = (name: string): void => win.setTitle(name ? `${name} — pathlens` : 'pathlens');
  const openInputs = (paths: string[]): void => {
    engine.startIngest(paths);
    setTitle(basename(paths[0] ?? ''));
  };
  const openCaseFile = async (path: string): Promise<void> => {
    await engine.openCase(path);
    remember(path);
    setTitle(basename(path));
    win.webContents.reload();
  };

  const buildMenu = (): void => {
    const template: Electron.MenuItemConstructorOptions[] = [
      {
        label: 'File',
        submenu: [
          {
            label: 'Open files…',
            accelerator: 'CmdOrCtrl+O',
            click: async () => {
              const r = await dialog.showOpenDialog(win, {
                properties: ['openFile', 'openDirectory', 'multiSelections'],
              });
              if (!r.canceled && r.filePaths.length) openInputs(r.filePaths);
            },
          },
          {
            label: 'Open case…',
            click: async () => {
              const r = await dialog.showOpenDialog(win, {
                filters: [{ name: 'pathlens case', extensions: ['sqlite'] }],
              });
              if (!r.canceled && r.filePaths[0]) await openCaseFile(r.filePaths[0]);
            },
          },
          {
            label: 'Open recent',
            submenu: recent().map((p) => ({ label: p, click: () => void openCaseFile(p) })),
          },
          { type: 'separator' },
          {
            label: 'Export report…',
            accelerator: 'CmdOrCtrl+E',
            click: async () => {
              const r = await dialog.showSaveDialog(win, {
                defaultPath: 'pathlens-report.html',
                filters: [
                  { name: 'HTML', extensions: ['html'] },
                  { name: 'JSON', extensions: ['json'] },
                  { name: 'CSV', extensions: ['csv'] },
                  { name: 'Markdown', extensions: ['md'] },
                ],
              });
              if (r.canceled || !r.filePath) return;
              const ext = r.filePath.split('.').pop() ?? 'html';
              const format = (['json', 'csv', 'md', 'html'].includes(ext) ? ext : 'html') as
                'json' | 'csv' | 'md' | 'html';
              const doc = await engine.handle('report.export', { format });
              writeFileSync(r.filePath, doc.content);
            },
          },
          {
            label: 'Print to PDF…',
            click: async () => {
              const r = await dialog.showSaveDialog(win, { defaultPath: 'pathlens.pdf' });
              if (!r.canceled && r.filePath)
                writeFileSync(r.filePath, await win.webContents.printToPDF({ printBackground: true }));
            },
          },
          { type: 'separator' },
          { role: 'quit' },
        ],
      },
      { role: 'viewMenu' },
    ];
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  };
  buildMenu();

  const args = process.argv.slice(app.isPackaged ? 1 : 2).filter((a) => !a.startsWith('-') && existsSync(a));
  if (args.length === 1 && args[0]!.endsWith('.sqlite')) await openCaseFile(args[0]!);
  else if (args.length) openInputs(args);
  else if (existsSync(sample)) openInputs([sample]);
  await win.loadFile(rendererIndex);
  app.on('window-all-closed', () => {
    void engine.close().then(() => app.quit());
  });
}

void main();
