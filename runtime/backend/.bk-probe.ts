import { tf } from '../tf.js';
import { initBackend } from './index.js';
const info = await initBackend('wasm');
console.log(info.threads);
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
step(); step();
const prof = await tf.profile(() => { step(); });
const agg = new Map<string, number>();
for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log([...agg].sort((a,b)=>b[1]-a[1]).map(([n,t])=>`${n} ${t.toFixed(1)}`).join('\n'));
for (const k of prof.kernels) if ((k.kernelTimeMs as number) > 5) console.log(k.name, k.inputShapes, (k.kernelTimeMs as number).toFixed(1));
const x = tf.randomNormal([512, 784]); const y = tf.randomNormal([784,512]);
for (const t of [x, y]) { for (let i=0;i<4;i++){ const s=performance.now(); const z=tf.transpose(t); z.dataSync(); console.log('transpose', t.shape, (performance.now()-s).toFixed(1)); z.dispose(); } }
