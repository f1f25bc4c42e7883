// React access to the controller and the store, provided once at the root.
import { createContext, useContext } from 'react';
import type { Controller } from './controller';
import type { AppState } from './state';
import { useStore } from './store';

export const AppContext = createContext<Controller | null>(null);

export function useController(): Controller {
  const c = useContext(AppContext);
  if (!c) throw new Error('AppContext missing');
  return c;
}

/** A slice of the app state; `select` should be a stable function (module level or useCallback). */
export function useAppState<T>(select: (s: AppState) => T): T {
  return useStore(useController().store, select);
}
