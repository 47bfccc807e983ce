/**
 * The 'tensorflow' backend: native libtensorflow through @tensorflow/tfjs-node (CPU) or
 * @tensorflow/tfjs-node-gpu (CUDA), used only when the user has installed one of them. They are
 * not dependencies of ssl, not even optional ones: their install script downloads libtensorflow
 * from storage.googleapis.com, which fails offline and would fail `npm install ssl` with it.
 *
 * tfjs-node-gpu 4.22 wraps libtensorflow 2.9.1 (CUDA 11.2, cuDNN 8.1): when CUDA is missing it
 * still loads and computes on the CPU; its backend's `isUsingGpuDevice` says which happened.
 * Either package registers the 'tensorflow' backend with the tfjs-core it resolves; if that is
 * not ssl's copy (another version installed), the backend is missing here and we say so.
 */
import { tf } from '../tf.js';
import type { ModuleLoader } from './optional.js';

/** Tried in this order: the GPU build first, since a user who installed it wants it. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
export type TensorflowPackage = (typeof TENSORFLOW_PACKAGES)[number];

export const TENSORFLOW_INSTALL =
  `neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed. They are not dependencies of ssl because their ` +
  `install downloads libtensorflow: on a machine with internet, in the ssl folder, run ` +
  `\`npm install @tensorflow/tfjs-node@4.22.0\` (CPU) or \`npm install @tensorflow/tfjs-node-gpu@4.22.0\` ` +
  `(Linux x64 with CUDA 11.2 and cuDNN 8.1)`;

export class TensorflowUnavailable extends Error {
  constructor(
    readonly short: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** The tfjs-node package a user installed (the GPU build preferred), or null: cheap, loads nothing. */
export function installedTensorflow(loader: ModuleLoader): TensorflowPackage | null {
  return TENSORFLOW_PACKAGES.find((p) => loader.isInstalled(p)) ?? null;
}

interface NodeBackendLike {
  isUsingGpuDevice?: boolean;
  binding?: { TF_Version?: string };
}

export interface TensorflowStarted {
  pkg: TensorflowPackage;
  gpu: boolean;
  versions: Record<string, string>;
  notes: string[];
}

/** Imports the installed tfjs-node build; its 'tensorflow' backend is then registered (and made active by the package). */
export async function startTensorflow(loader: ModuleLoader): Promise<TensorflowStarted> {
  const pkg = installedTensorflow(loader);
  if (!pkg) throw new TensorflowUnavailable('not installed', TENSORFLOW_INSTALL);
  const version = loader.version(pkg) ?? 'unknown';
  try {
    await loader.load(pkg);
  } catch (e) {
    throw new TensorflowUnavailable('failed to load', `${pkg} ${version} is installed but failed to load (libtensorflow missing or built for another platform?): ${(e as Error).message}`);
  }
  if (!tf.findBackendFactory('tensorflow')) {
    throw new TensorflowUnavailable(
      'another tfjs-core',
      `${pkg} ${version} registered its backend with another copy of tfjs-core than ssl's (${tf.version_core}): npm install ${pkg}@${tf.version_core}`,
    );
  }
  if (!(await tf.setBackend('tensorflow'))) throw new TensorflowUnavailable('failed to start', `${pkg} is installed but its backend failed to start (see the warning above)`);
  const backend = tf.findBackend('tensorflow') as unknown as NodeBackendLike;
  const gpu = pkg === '@tensorflow/tfjs-node-gpu' && backend.isUsingGpuDevice === true;
  const notes: string[] = [];
  if (pkg === '@tensorflow/tfjs-node-gpu' && !gpu) {
    notes.push('tensorflow: tfjs-node-gpu found no usable CUDA GPU (CUDA 11.2 / cuDNN 8.1 libraries?) and computes on the CPU');
  }
  const versions: Record<string, string> = { [pkg.replace('@tensorflow/', '')]: version };
  if (backend.binding?.TF_Version) versions.libtensorflow = backend.binding.TF_Version;
  return { pkg, gpu, versions, notes };
}
