/**
 * `ssl explain` counts parameters from shapes alone (it never loads TensorFlow.js); the runtime
 * counts the variables it creates. For every network of every recipe and example the two agree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../compiler/index.js';
import { networkParameters } from '../compiler/explain.js';
import { createNetwork } from '../runtime/nn/index.js';
import { tf } from '../runtime/tf.js';
import { createRng } from '../runtime/util/rng.js';

const files = ['recipes', 'examples'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ssl')).map((f) => join(dir, f)));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('explain parameter counts equal the runtime networks', () => {
  for (const file of files) {
    it(file, () => {
      const { ir } = compile(readFileSync(file, 'utf8'), file);
      expect(ir).toBeDefined();
      for (const net of Object.values(ir!.networks)) {
        const module = createNetwork(net, createRng(0));
        try {
          expect(networkParameters(net), `${file}: network '${net.name}'`).toBe(module.paramCount);
        } finally {
          module.dispose();
        }
      }
    });
  }
});
