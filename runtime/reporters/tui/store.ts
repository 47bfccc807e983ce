/**
 * A tiny event store between the trainer and React: every event is reduced at once (cheap, pure),
 * but subscribers are told about the new state at most once per `intervalMs` (leading and
 * trailing edge), so a trainer emitting thousands of steps a second re-renders ink ~10 times a
 * second. Shaped for `useSyncExternalStore(store.subscribe, store.getSnapshot)`.
 */
import type { RunEvent } from '../../events.js';
import { initialState, reduce, type RunViewState } from '../state.js';

export interface RunStore {
  dispatch(event: RunEvent): void;
  /** Publish the latest state now (used before the final frame). */
  flush(): void;
  /** The last published state: stable between publishes, as `useSyncExternalStore` requires. */
  getSnapshot(): RunViewState;
  /** The latest reduced state, published or not. */
  getState(): RunViewState;
  subscribe(listener: () => void): () => void;
  /** Cancel a pending publish timer. */
  dispose(): void;
}

export interface RunStoreOptions {
  /** Minimum milliseconds between publishes; default 100 (≤ 10 renders a second). */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export const DEFAULT_RENDER_INTERVAL_MS = 100;

export function createRunStore(options: RunStoreOptions = {}): RunStore {
  const intervalMs = options.intervalMs ?? DEFAULT_RENDER_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let state = initialState;
  let published = state;
  let lastPublish = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const listeners = new Set<() => void>();

  const publish = () => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    lastPublish = now();
    if (published === state) return;
    published = state;
    for (const listener of [...listeners]) listener();
  };

  return {
    dispatch(event) {
      state = reduce(state, event);
      const wait = lastPublish + intervalMs - now();
      if (wait <= 0) publish();
      else if (!timer) {
        timer = setTimeout(publish, wait);
        // A pending repaint must not keep the process alive on its own.
        timer.unref?.();
      }
    },
    flush: publish,
    getSnapshot: () => published,
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
