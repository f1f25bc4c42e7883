// Entry: builds the API client, the store and the controller once, then renders the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { AppContext } from './app-context';
import { createApiClient } from './api-client';
import { Controller } from './controller';
import { parseRoute } from './route';
import { initialState } from './state';
import { createStore } from './store';
import './styles.css';

const api = createApiClient();
const store = createStore(initialState(parseRoute(window.location.hash), Controller.savedTheme()));
const controller = new Controller(api, store);
if (!window.location.hash) window.history.replaceState(window.history.state, '', '#/overview');
controller.start();

const root = document.getElementById('root');
if (!root) throw new Error('#root missing');
createRoot(root).render(
  <StrictMode>
    <AppContext.Provider value={controller}>
      <App />
    </AppContext.Provider>
  </StrictMode>,
);
