/**
 * Teachers (BYOL, MoCo, DINO, data2vec): a second module of the same network under another name
 * (variable names are unique per network), initialised from the student and moved towards it by
 * exponential moving average after every optimizer step.
 *
 *   const teacher = createNetwork({ ...studentNet, name: teacherName }, rng);
 *   copyWeights(student, teacher);
 *   ... after each step: emaUpdate(teacher, student, momentum);
 *
 * Only trainable variables are copied / averaged: batch-norm running statistics are the teacher's own.
 */
import { tf } from '../tf.js';
import type { NetworkModule } from './network.js';

/** The variable name without its network prefix: `enc/0/conv0/kernel` -> `0/conv0/kernel`. */
function localName(v: tf.Variable): string {
  const i = v.name.indexOf('/');
  return i < 0 ? v.name : v.name.slice(i + 1);
}

function pairs(a: NetworkModule, b: NetworkModule, who: string): [tf.Variable, tf.Variable][] {
  if (a.trainable.length !== b.trainable.length) {
    throw new Error(`${who}: '${a.name}' has ${a.trainable.length} trainable variables, '${b.name}' ${b.trainable.length}`);
  }
  return a.trainable.map((va, i) => {
    const vb = b.trainable[i];
    if (localName(va) !== localName(vb) || va.shape.join() !== vb.shape.join()) {
      throw new Error(`${who}: '${va.name}' [${va.shape}] does not match '${vb.name}' [${vb.shape}]`);
    }
    return [va, vb];
  });
}

/** to <- from, for every trainable variable (the networks must have the same structure). */
export function copyWeights(from: NetworkModule, to: NetworkModule): void {
  const ps = pairs(from, to, 'copyWeights');
  tf.tidy(() => {
    for (const [f, t] of ps) t.assign(f);
  });
}

/** teacher <- momentum * teacher + (1 - momentum) * student, for every trainable variable. */
export function emaUpdate(teacher: NetworkModule, student: NetworkModule, momentum: number): void {
  if (!(Number.isFinite(momentum) && momentum >= 0 && momentum <= 1)) throw new Error(`emaUpdate: momentum must be in [0, 1], got ${momentum}`);
  const ps = pairs(teacher, student, 'emaUpdate');
  tf.tidy(() => {
    for (const [t, s] of ps) t.assign(tf.add(tf.mul(t, momentum), tf.mul(s, 1 - momentum)));
  });
}
