/**
 * The backends a user can ask for, without loading TensorFlow.js: cli/main.ts imports this
 * statically to declare `--backend`, and `ssl check` must stay fast.
 */
export const BACKEND_NAMES = ['wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What `--backend` accepts: a backend, or 'auto' (the best that starts here; backend/index.ts). */
export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}
