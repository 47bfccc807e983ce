import { describe, expect, it } from 'vitest';
import { tf } from '../tf.js';
import { initBackend, wasmDistDir } from './index.js';
import { existsSync } from 'node:fs';

describe('initBackend', () => {
  it('finds the wasm binaries', () => {
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      expect(existsSync(wasmDistDir() + f)).toBe(true);
    }
  });

  it("'auto' picks wasm here (tfjs-node is not installed), with our kernels", async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'BatchMatMul']));
    expect(info.versions['tfjs-core']).toBe('4.22.0');
    expect(info.versions['tfjs-backend-wasm']).toBe('4.22.0');
  });

  it('is idempotent and switches between backends', async () => {
    const a = await initBackend('wasm');
    const b = await initBackend('wasm');
    expect(b).toEqual(a);
    const c = await initBackend('cpu');
    expect(c.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const d = await initBackend('wasm');
    expect(d.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // The backend computes.
    expect(Array.from(tf.tidy(() => tf.add(tf.ones([2]), tf.ones([2])).dataSync()))).toEqual([2, 2]);
  });

  it('rejects an unknown backend with a clear message', async () => {
    await expect(initBackend('gpu' as never)).rejects.toThrow(/unknown backend 'gpu'/);
  });
});
