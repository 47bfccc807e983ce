/**
 * One checkpoint file on disk: the safetensors layout (huggingface/safetensors, "format" in its
 * README), so the tensors can be read from Python with `safetensors.numpy.load_file` or from any
 * language with a JSON parser:
 *
 *   bytes 0..7   N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N a JSON object: { "<tensor>": { "dtype": "F32" | "I32", "shape": [...],
 *                "data_offsets": [begin, end] }, ..., "__metadata__": { "<key>": "<string>" } },
 *                padded with spaces to a multiple of 8
 *   the rest     the tensors' bytes, little-endian, back to back in header order, no holes
 *
 * ssl's metadata: `format` ("ssl-checkpoint/1"), `state` and `ir` (JSON text, see checkpoint.ts)
 * and `sha256`, the hex SHA-256 of `state`, "\n", `ir`, "\n" and the tensor bytes, so a flipped or
 * missing byte anywhere but the tensor table (which is checked structurally) is caught on read.
 *
 * Writes are atomic: the bytes go to a temporary file in the same folder, are fsynced, and the
 * file is renamed over its final name (rename is atomic within a file system), then the folder
 * is fsynced so the rename itself is durable. A crash at any point leaves either the old file or
 * the new one, never a mix; at worst a stray `*.tmp` that the next write sweeps away.
 *
 * No TensorFlow.js here: tensors are typed arrays, so the format is testable on its own.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const CHECKPOINT_FORMAT = 'ssl-checkpoint/1';

export type TensorData = { dtype: 'float32'; shape: number[]; values: Float32Array } | { dtype: 'int32'; shape: number[]; values: Int32Array };

export interface CheckpointFileContents {
  /** JSON text of the trainer's state (step, epoch, RNG streams, optimizer counters...). */
  state: string;
  /** JSON text of the IR the run was following. */
  ir: string;
  /** Tensors by name, in the order they are stored. */
  tensors: Map<string, TensorData>;
}

/** A checkpoint that cannot be read: `file` is the path, `message` says what is wrong with it. */
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

const SAFETENSORS_DTYPE = { float32: 'F32', int32: 'I32' } as const;
const HEADER_LIMIT = 100 * 1024 * 1024; // safetensors' own cap on the header size

/** Test hook: called after the temporary file is complete and fsynced, before the rename. */
export interface AtomicWriteHooks {
  beforeRename?: (tmp: string) => void;
}

/**
 * Writes `chunks` to `path` atomically (temp file in the same folder, fsync, rename, fsync of the
 * folder). Leftover temp files of earlier crashed writes to the same folder are removed first.
 */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[], hooks: AtomicWriteHooks = {}): void {
  const dir = dirname(path);
  removeStaleTemps(dir);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of chunks) {
      let at = 0;
      while (at < chunk.byteLength) at += writeSync(fd, chunk, at, chunk.byteLength - at);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  hooks.beforeRename?.(tmp);
  renameSync(tmp, path);
  fsyncDirectory(dir);
}

/** Removes `.*.tmp` files a crashed atomic write left in `dir`. */
export function removeStaleTemps(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') && name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
  }
}

/** Makes a rename in `dir` durable; some platforms cannot open or fsync folders, which is harmless there. */
function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some file systems refuse; the rename is still atomic, only its durability is weaker.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function bytesOf(t: TensorData): Uint8Array {
  return new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength);
}

function digest(state: string, ir: string, tensors: Iterable<TensorData>): string {
  const hash = createHash('sha256').update(state).update('\n').update(ir).update('\n');
  for (const t of tensors) hash.update(bytesOf(t));
  return hash.digest('hex');
}

/** The file's bytes as chunks (header, then each tensor's bytes without copying). */
export function encodeCheckpoint(contents: CheckpointFileContents): Uint8Array[] {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of contents.tensors) {
    if (name === '__metadata__') throw new Error(`a tensor cannot be named '__metadata__'`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.values.length) throw new Error(`tensor '${name}' has ${t.values.length} values but shape [${t.shape}]`);
    header[name] = { dtype: SAFETENSORS_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.values.byteLength] };
    offset += t.values.byteLength;
  }
  header['__metadata__'] = {
    format: CHECKPOINT_FORMAT,
    state: contents.state,
    ir: contents.ir,
    sha256: digest(contents.state, contents.ir, contents.tensors.values()),
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded > json.byteLength) json = Buffer.concat([json, Buffer.alloc(padded - json.byteLength, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.byteLength));
  return [length, json, ...[...contents.tensors.values()].map(bytesOf)];
}

/** Writes a checkpoint file atomically (see `writeFileAtomic`). */
export function writeCheckpointFile(path: string, contents: CheckpointFileContents, hooks: AtomicWriteHooks = {}): void {
  writeFileAtomic(path, encodeCheckpoint(contents), hooks);
}

/**
 * Reads and checks a checkpoint file: layout, tensor table, format and checksum. Anything wrong is
 * a CheckpointError naming the file and the problem; nothing is trusted before it is checked.
 */
export function readCheckpointFile(path: string): CheckpointFileContents {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'no such file' : (error as Error).message);
  }
  return decodeCheckpoint(bytes, path);
}

export function decodeCheckpoint(bytes: Uint8Array, path: string): CheckpointFileContents {
  const fail = (problem: string): never => {
    throw new CheckpointError(path, problem);
  };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.byteLength < 8) fail(`is ${buffer.byteLength} bytes long, too short to be a checkpoint (it was cut off)`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength > HEADER_LIMIT || 8 + headerLength > buffer.byteLength) {
    fail(`the header claims ${headerLength} bytes but the file has ${buffer.byteLength}: it is cut off or not a checkpoint`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('the header is not valid JSON: the file is damaged or not a checkpoint');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const meta = header['__metadata__'] as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object') fail('has no __metadata__: not an ssl checkpoint');
  if (meta!['format'] !== CHECKPOINT_FORMAT) fail(`has format ${JSON.stringify(meta!['format'])}, expected "${CHECKPOINT_FORMAT}"`);
  const state = meta!['state'], ir = meta!['ir'], sha = meta!['sha256'];
  if (typeof state !== 'string' || typeof ir !== 'string' || typeof sha !== 'string') fail('the metadata lacks state, ir or sha256');

  const data = buffer.subarray(8 + headerLength);
  const tensors = new Map<string, TensorData>();
  let expected = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e.dtype === 'F32' ? 'float32' : e.dtype === 'I32' ? 'int32' : fail(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)} (expected F32 or I32)`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${name}' has a bad shape ${JSON.stringify(shape)}`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o))) fail(`tensor '${name}' has bad data_offsets`);
    const [begin, end] = offsets as [number, number];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (begin !== expected || end - begin !== size * 4) fail(`tensor '${name}' has data_offsets [${begin}, ${end}], expected [${expected}, ${expected + size * 4}]`);
    if (end > data.byteLength) fail(`tensor '${name}' ends at byte ${end} of ${data.byteLength}: the file is cut off`);
    // Copied out so the values are aligned and do not pin the whole file in memory.
    const raw = new Uint8Array(data.subarray(begin, end));
    const values = dtype === 'float32' ? new Float32Array(raw.buffer) : new Int32Array(raw.buffer);
    tensors.set(name, { dtype, shape: shape as number[], values } as TensorData);
    expected = end;
  }
  if (expected !== data.byteLength) fail(`has ${data.byteLength - expected} bytes after the last tensor: damaged or not an ssl checkpoint`);
  if (digest(state as string, ir as string, tensors.values()) !== sha) fail('its checksum does not match its contents: the file is damaged');
  return { state: state as string, ir: ir as string, tensors };
}
