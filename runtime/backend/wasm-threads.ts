/**
 * Multi-threaded SIMD wasm under Node.
 *
 * tfjs-backend-wasm 4.22 never uses its threaded binary in Node, for two reasons:
 *  1. the flag WASM_HAS_MULTITHREAD_SUPPORT returns false when IS_NODE (tfjs issue #3830);
 *  2. even with the flag forced on, Emscripten's pthread pool starts its workers from a
 *     `blob:` URL (the worker script is inlined in the bundle and turned into a Blob), and
 *     node:worker_threads rejects `blob:` URLs; the worker would also `importScripts` the main
 *     script from a second Blob (`mainScriptUrlOrBlob`), which Node cannot evaluate either.
 *
 * What we do instead, for the duration of the wasm init only:
 *  - force the flag on (when SharedArrayBuffer and wasm threads validate);
 *  - swap `globalThis.Blob` for a subclass that remembers its text parts, and
 *    `URL.createObjectURL` for one that writes such a Blob to a file in the OS temp dir and
 *    returns that path (Node's Worker accepts a plain file path);
 *  - the main script (the threaded Emscripten factory's source) refers to a few bundle-level
 *    bindings (`require$$0..4`, `commonjsGlobal`, tslib's `__values/__read/__spreadArray`),
 *    so the file gets a prelude defining them;
 *  - the worker script is rewritten to `importScripts` that file instead of the Blob it is sent.
 *  - tfjs caps XNNPACK's pool at emscripten_num_logical_cores()/2 (it assumes hyper-threading),
 *    read once by a C++ static initialiser; in Node that is `require('os').cpus().length`. To get
 *    `threads` threads, `os.cpus` reports 2 * threads entries while the module initialises.
 * The pool (8 workers, Emscripten's compiled-in size) is unref'd by Emscripten once loaded, so the
 * process still exits normally. If any step fails, the caller falls back to single-threaded SIMD.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';

const WORKER_LOAD_MAIN =
  'if(typeof e.data.urlOrBlob=="string"){importScripts(e.data.urlOrBlob)}else{var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)}';

const MAIN_PRELUDE = `// Prelude (ssl): bundle-level bindings the factory source refers to. No "use strict": the
// worker evaluates this file with an indirect eval, and its vars must become globals.
var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');
var commonjsGlobal = globalThis;
function __values(o) { var s = typeof Symbol === "function" && Symbol.iterator, m = s && o[s], i = 0;
  if (m) return m.call(o);
  if (o && typeof o.length === "number") return { next: function () { if (o && i >= o.length) o = void 0; return { value: o && o[i++], done: !o }; } };
  throw new TypeError(s ? "Object is not iterable." : "Symbol.iterator is not defined."); }
function __read(o, n) { var m = typeof Symbol === "function" && o[Symbol.iterator]; if (!m) return o;
  var i = m.call(o), r, ar = [], e;
  try { while ((n === void 0 || n-- > 0) && !(r = i.next()).done) ar.push(r.value); }
  catch (error) { e = { error: error }; }
  finally { try { if (r && !r.done && (m = i["return"])) m.call(i); } finally { if (e) throw e.error; } }
  return ar; }
function __spreadArray(to, from, pack) {
  if (pack || arguments.length === 2) for (var i = 0, l = from.length, ar; i < l; i++) {
    if (ar || !(i in from)) { if (!ar) ar = Array.prototype.slice.call(from, 0, i); ar[i] = from[i]; } }
  return to.concat(ar || Array.prototype.slice.call(from)); }
`;

/** True when this Node can run wasm threads at all. */
export function nodeSupportsWasmThreads(): boolean {
  try {
    if (typeof SharedArrayBuffer === 'undefined') return false;
    // Same probe as tfjs (a module with a shared memory and an atomic op).
    return WebAssembly.validate(new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5,
      4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
    ]));
  } catch {
    return false;
  }
}

function writeOnce(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  if (!existsSync(file)) {
    // Write-then-rename: several processes (test forks) may race here.
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  return file;
}

type BlobPart = ConstructorParameters<typeof Blob>[0] extends Iterable<infer P> | undefined ? P : never;

/**
 * Runs `init` (which must call tf.setBackend('wasm')) with the Blob / createObjectURL shims in
 * place, then restores them. Throws if the threaded scripts cannot be produced.
 */
export async function withNodeWasmThreadShims<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const dir = join(tmpdir(), `ssl-tfjs-wasm-threads-${process.getuid?.() ?? 'u'}`);
  mkdirSync(dir, { recursive: true });

  const OrigBlob = globalThis.Blob;
  const origCreate = URL.createObjectURL;
  const texts = new WeakMap<Blob, string>();
  let mainPath: string | null = null;
  const problems: string[] = [];

  class RecordingBlob extends OrigBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts && parts.every((p) => typeof p === 'string')) texts.set(this, (parts as string[]).join(''));
      const text = texts.get(this);
      if (text !== undefined && text.startsWith('var WasmBackendModuleThreadedSimd')) {
        const body = MAIN_PRELUDE + text;
        const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
        mainPath = writeOnce(dir, `tfjs-wasm-threaded-main-${hash}.js`, body);
      }
    }
  }

  const createObjectURL = (obj: Blob): string => {
    const text = texts.get(obj);
    if (text === undefined || !text.includes('WasmBackendModuleThreadedSimd(Module)')) {
      return origCreate.call(URL, obj as never);
    }
    if (!mainPath) {
      problems.push('the threaded main script was not seen before its worker');
      return origCreate.call(URL, obj as never);
    }
    if (!text.includes(WORKER_LOAD_MAIN)) {
      problems.push('the tfjs wasm worker script has an unexpected shape (tfjs version change?)');
      return origCreate.call(URL, obj as never);
    }
    // The bundle escaped newlines as '\\n' for the Blob; evaluating it as a file is the same.
    const body = text.replace(WORKER_LOAD_MAIN, `importScripts(${JSON.stringify(mainPath)});`);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
    return writeOnce(dir, `tfjs-wasm-threaded-worker-${hash}.js`, body);
  };

  const origCpus = os.cpus;
  const fakeCpus = () => {
    const real = origCpus.call(os);
    return Array.from({ length: 2 * threads }, (_, i) => real[i % Math.max(1, real.length)]);
  };
  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = createObjectURL as typeof URL.createObjectURL;
  os.cpus = fakeCpus;
  try {
    const result = await init();
    if (problems.length) throw new Error(problems.join('; '));
    return result;
  } catch (e) {
    // The usual cause is in `problems` (the worker then got a blob: URL, which Node rejects).
    if (problems.length) throw new Error(problems.join('; '));
    throw e;
  } finally {
    globalThis.Blob = OrigBlob;
    URL.createObjectURL = origCreate;
    os.cpus = origCpus;
  }
}
