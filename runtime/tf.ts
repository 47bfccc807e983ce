/**
 * The one place the runtime imports TensorFlow.js from.
 *
 * Node builds of tfjs-core register no gradients; importing tfjs-layers registers them all
 * (shared/notes/backends.md). Chained ops (`x.sum()`) are not registered either: the runtime
 * uses the functional form (`tf.sum(x)`) throughout.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';

export { tf };
export type Tensor = tf.Tensor;
