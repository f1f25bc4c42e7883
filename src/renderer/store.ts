// The one wrapper around state storage: a plain-data store whose only way to change is dispatching a
// named pure action, read from React through useSyncExternalStore.
import { useCallback, useSyncExternalStore } from 'react';

export type Action<S, P> = (state: S, payload: P) => S;

export interface Store<S> {
  getState(): S;
  dispatch<P>(action: Action<S, P>, payload: P): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<S>(initial: S): Store<S> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action, payload) {
      const next = action(state, payload);
      if (next === state) return;
      state = next;
      for (const l of [...listeners]) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Subscribes a component to one slice; it re-renders only when that slice changes identity. */
export function useStore<S, T>(store: Store<S>, select: (state: S) => T): T {
  const get = useCallback(() => select(store.getState()), [store, select]);
  return useSyncExternalStore(store.subscribe, get, get);
}
