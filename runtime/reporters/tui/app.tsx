/**
 * The connected app: one hook (`useRunState`) subscribes to the store, and the pure `RunView`
 * renders what it returns — Gatsby's `ConnectedCLI` → `<CLI>` split.
 */
import { useStdout } from 'ink';
import { useSyncExternalStore } from 'react';
import type { RunViewState } from '../state.js';
import { RunView } from './components.js';
import type { RunStore } from './store.js';

export function useRunState(store: RunStore): RunViewState {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

export function App({ store }: { readonly store: RunStore }) {
  const state = useRunState(store);
  const { stdout } = useStdout();
  return <RunView state={state} columns={stdout.columns || 80} />;
}
