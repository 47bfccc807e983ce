/**
 * Stock vs patched wasm kernels, side by side.
 *
 *   npx tsx runtime/backend/kernel-bench.ts            (threads: all cores)
 *   SSL_WASM_THREADS=1 npx tsx runtime/backend/kernel-bench.ts
 *   node dist/runtime/backend/kernel-bench.js          (after `npm run build`)
 *
 * "stock" for Conv2DBackpropFilter is what you get without our kernel: wasm has none, so the
 * only way to train is to fall back to the cpu backend's kernel (copy inputs out of the wasm
 * heap, run the JS kernel, copy the result back); this script registers exactly that fallback.
 */
import { tf } from '../tf.js';
import { initBackend } from './index.js';
import { installConvGrads, uninstallConvGrads } from './wasm-conv-grads.js';
import { installMatMul, uninstallMatMul } from './wasm-matmul.js';
import type { TensorInfo } from './wasm-kernel-util.js';

interface DataBackend {
  readSync(dataId: object): unknown;
  write(values: Float32Array, shape: number[], dtype: string): object;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Conv2DBackpropFilter on wasm through the cpu backend's kernel. */
function cpuFallbackKernel(kernelName: string) {
  return (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: Record<string, unknown> }) => {
    const wasm = args.backend as DataBackend;
    const cpu = tf.findBackend('cpu') as unknown as DataBackend;
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    const moved: Record<string, TensorInfo> = {};
    for (const [k, t] of Object.entries(args.inputs)) {
      const vals = wasm.readSync(t.dataId) as Float32Array;
      moved[k] = { dataId: cpu.write(vals.slice(), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
    }
    const out = cpuKernel.kernelFunc({ inputs: moved, backend: cpu, attrs: args.attrs as never }) as TensorInfo;
    const vals = cpu.readSync(out.dataId) as Float32Array;
    for (const t of [...Object.values(moved), out]) cpu.disposeData(t.dataId);
    return { dataId: wasm.write(vals, out.shape, out.dtype), shape: out.shape, dtype: out.dtype };
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time of `fn` (which must force its result), after one warm-up call (if `warm`). */
function time(fn: () => void, reps: number, warm = true): number {
  if (warm) tf.tidy(fn);
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    tf.tidy(fn);
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const rows: [string, number, number][] = [];
function report(name: string, stock: number, patched: number): void {
  rows.push([name, stock, patched]);
  console.log(`${name.padEnd(58)} ${stock.toFixed(1).padStart(9)} ${patched.toFixed(1).padStart(9)} ${(stock / patched).toFixed(1).padStart(7)}x`);
}

async function main(): Promise<void> {
  await tf.setBackend('cpu'); // initialise cpu for the fallback
  const info = await initBackend('wasm');
  console.log(`wasm: ${info.threads} thread(s), simd ${info.simd}; tfjs ${info.versions['tfjs-core']}, node ${info.versions.node}`);
  if (info.notes.length) console.log(`notes: ${info.notes.join('; ')}`);
  console.log(`${'kernel (median ms)'.padEnd(58)} ${'stock'.padStart(9)} ${'patched'.padStart(9)} ${'ratio'.padStart(8)}`);

  const convs = [
    { name: 'x 256x28x28x1, w 3x3x1x32, s2 same', x: [256, 28, 28, 1], w: [3, 3, 1, 32] },
    { name: 'x 256x14x14x32, w 3x3x32x64, s2 same', x: [256, 14, 14, 32], w: [3, 3, 32, 64] },
  ] as const;
  for (const c of convs) {
    const x = tf.randomNormal([...c.x]) as tf.Tensor4D;
    const w = tf.randomNormal([...c.w]) as tf.Tensor4D;
    const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(x, w, 2, 'same').shape)) as tf.Tensor4D;
    // Not exported as ops: run the kernels directly.
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
    const run = (name: string, inputs: Record<string, tf.Tensor>, extra: Record<string, unknown>) =>
      (tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as never) as tf.Tensor).dataSync();
    const filterGrad = () => { run('Conv2DBackpropFilter', { x, dy }, { filterShape: [...c.w] }); };
    const inputGrad = () => { run('Conv2DBackpropInput', { dy, filter: w }, { inputShape: [...c.x] }); };

    uninstallConvGrads();
    const fallback = { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: cpuFallbackKernel('Conv2DBackpropFilter') as never };
    tf.registerKernel(fallback);
    const stockFilter = time(filterGrad, 1, false); // pure JS: seconds to a minute per call
    const stockInput = time(inputGrad, 5);
    tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
    installConvGrads();
    report(`Conv2DBackpropFilter ${c.name} (stock = cpu fallback)`, stockFilter, time(filterGrad, 5));
    report(`Conv2DBackpropInput  ${c.name}`, stockInput, time(inputGrad, 5));
    tf.dispose([x, w, dy]);
  }

  const a = tf.randomNormal([512, 784]);
  const b = tf.randomNormal([784, 512]);
  const aT = tf.transpose(a);
  const bT = tf.transpose(b);
  const mm: [string, () => void][] = [
    ['BatchMatMul [512,784]x[784,512]', () => { tf.matMul(a, b).dataSync(); }],
    ['BatchMatMul [512,784]x[784,512] transposeA', () => { tf.matMul(aT, b, true, false).dataSync(); }],
    ['BatchMatMul [512,784]x[784,512] transposeB', () => { tf.matMul(a, bT, false, true).dataSync(); }],
    ['BatchMatMul [512,784]x[784,512] transposeA+B', () => { tf.matMul(aT, bT, true, true).dataSync(); }],
  ];
  for (const [name, fn] of mm) {
    uninstallMatMul();
    const stock = time(fn, 5);
    installMatMul();
    report(name, stock, time(fn, 5));
  }
  tf.dispose([a, b, aT, bT]);

  // The whole reason: one forward+backward of the notes' conv encoder, patched only (stock wasm
  // cannot run it without the cpu fallback above).
  const batch = 512;
  const w1 = tf.variable(tf.randomNormal([3, 3, 1, 32], 0, 0.1));
  const w2 = tf.variable(tf.randomNormal([3, 3, 32, 64], 0, 0.1));
  const w3 = tf.variable(tf.randomNormal([64, 128], 0, 0.1));
  const xb = tf.randomNormal([batch, 28, 28, 1]) as tf.Tensor4D;
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      const h1 = tf.relu(tf.conv2d(xb, w1 as tf.Tensor4D, 2, 'same'));
      const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Tensor4D, 2, 'same'));
      const z = tf.matMul(tf.mean(h2, [1, 2]), w3 as tf.Tensor2D);
      return tf.mean(tf.square(z));
    });
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const t = time(step, 5);
  console.log(`conv encoder forward+backward, batch ${batch} (patched): ${t.toFixed(1)} ms`);
  tf.dispose([w1, w2, w3, xb]);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
