/**
 * Loading an exported model folder in Node without tfjs-node: an IOHandler over model.json and its
 * weight shards built only from tfjs-core's public io API (`tf.io.getModelArtifactsForJSON`), for
 * `tf.loadGraphModel(handler)` / `tf.loadLayersModel(handler)`. The tests load every export this
 * way; the export README shows the same few lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf.js';

/** An IOHandler for a model.json object whose shards `readShard(path)` returns (path as in the manifest). */
export function modelJsonHandler(json: tf.io.ModelJSON, readShard: (path: string) => Uint8Array): tf.io.IOHandler {
  return {
    load: () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const shards = manifest.flatMap((group) => group.paths.map(readShard));
        const bytes = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
        let at = 0;
        for (const s of shards) {
          bytes.set(s, at);
          at += s.byteLength;
        }
        return [specs, bytes.buffer];
      }),
  };
}

/** An IOHandler for `dir/model.json` and the shards it names, read from disk. */
export function modelFolderHandler(dir: string): tf.io.IOHandler {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  return modelJsonHandler(json, (path) => readFileSync(join(dir, path)));
}
