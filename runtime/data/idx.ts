/**
 * Reader for the IDX format that MNIST and Fashion-MNIST ship in (LeCun et al. 1998,
 * http://yann.lecun.com/exdb/mnist/ "FILE FORMATS FOR THE MNIST DATABASE").
 *
 * Layout: a 4-byte magic number `00 00 <dtype> <ndims>`, then `ndims` big-endian uint32
 * dimension sizes, then the data in C (row-major) order. MNIST images are dims [N, 28, 28],
 * labels [N]. Files may be gzipped (Fashion-MNIST's `*-ubyte.gz`); gzip is detected by its magic
 * bytes `1f 8b` (not the name) and inflated with node:zlib.
 *
 * Only dtype 0x08 (unsigned byte) is read — every image/label file of MNIST and Fashion-MNIST
 * uses it; the other IDX types are recognised and rejected with a clear message.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';
import { classCount, type Examples } from './examples.js';
import { gunzipIfNeeded, isGzip, readPrefix, readRange, readRaw, statFile } from './files.js';

export interface IdxFile {
  /** Dimension sizes from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** prod(dims) bytes in row-major order (a view into the file's buffer). */
  data: Uint8Array;
}

const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** "60000 records of 28x28" / "60000 items". */
function describeDims(dims: number[]): string {
  if (dims.length === 1) return `${dims[0]} items`;
  return `${dims[0]} records of ${dims.slice(1).join('x')}`;
}

/** Read one IDX file (optionally gzipped). Throws DataError naming the file on any problem. */
export function readIdxFile(path: string): IdxFile {
  const raw = readRaw(path);
  const gzipped = isGzip(raw);
  const buf = gunzipIfNeeded(raw, path);
  const { dims, headerLen, count } = parseIdxHeader(buf, path, gzipped ? 'the decompressed file' : 'the file');
  checkIdxLength(path, gzipped ? 'the decompressed file' : 'the file', dims, headerLen, buf.length);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + headerLen, count) };
}

/**
 * The dims of an IDX file, reading only its header and its length: for a plain file the first
 * bytes and its size; for a gzipped one the first 4 KB inflated and the uncompressed length that
 * gzip stores in its last 4 bytes (ISIZE, RFC 1952). That is what `ssl check` does: a 26 MB
 * Fashion-MNIST file is checked in milliseconds instead of inflating 47 MB. When ISIZE disagrees
 * with the header (or cannot be trusted), the file is inflated in full and checked as `readIdxFile`
 * does, so a truncated or corrupt file is still caught here; damage in the middle of a gzip stream
 * with a plausible trailer is caught (by its CRC) when the runtime reads the file.
 */
export function inspectIdxFile(path: string): { dims: number[] } {
  const length = statFile(path).size;
  const prefix = readPrefix(path, 4096);
  if (!isGzip(prefix)) {
    const { dims, headerLen } = parseIdxHeader(prefix, path, 'the file');
    checkIdxLength(path, 'the file', dims, headerLen, length);
    return { dims };
  }
  let head: Buffer | undefined;
  try {
    head = gunzipSync(prefix, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch {
    head = undefined; // damaged near the start: the full read below says how
  }
  if (head && head.length >= 4 && head.length >= 4 + 4 * head[3] && length >= 18) {
    const { dims, headerLen, count } = parseIdxHeader(head, path, 'the decompressed file');
    const isize = readRange(path, length - 4, 4).readUInt32LE(0);
    if (isize === (headerLen + count) % 2 ** 32) return { dims };
  }
  return { dims: readIdxFile(path).dims };
}

/** Magic number, dtype and dims; `what` names the buffer in messages. */
function parseIdxHeader(buf: Buffer, path: string, what: string): { dims: number[]; headerLen: number; count: number } {
  if (buf.length < 4) {
    throw new DataError(
      path,
      `${what} holds ${buf.length} bytes, fewer than the 4-byte IDX magic number; the file is empty or truncated`,
      'header',
    );
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new DataError(
      path,
      `bad magic number ${hex(buf[0])} ${hex(buf[1])} ${hex(buf[2])} ${hex(buf[3])}: IDX files start with ` +
        `0x00 0x00 <dtype> <ndims>; this is not an IDX file (an HTML error page saved by a failed download?)`,
      'header',
    );
  }
  const dtype = buf[2];
  const ndims = buf[3];
  if (!(dtype in IDX_TYPES)) {
    throw new DataError(
      path,
      `unknown IDX data type ${hex(dtype)} in the magic number; valid types are ` +
        Object.keys(IDX_TYPES)
          .map((k) => `${hex(Number(k))} (${IDX_TYPES[Number(k)]})`)
          .join(', '),
      'header',
    );
  }
  if (dtype !== 0x08) {
    throw new DataError(
      path,
      `IDX data type ${hex(dtype)} (${IDX_TYPES[dtype]}) is not supported; only 0x08 (unsigned byte), ` +
        `which all MNIST-style image and label files use`,
      'header',
    );
  }
  if (ndims === 0) {
    throw new DataError(path, 'header declares 0 dimensions; an IDX file needs at least one', 'header');
  }
  const headerLen = 4 + 4 * ndims;
  if (buf.length < headerLen) {
    throw new DataError(
      path,
      `header declares ${ndims} dimensions, so it is ${headerLen} bytes long, but ${what} holds only ` +
        `${buf.length} bytes; the file is truncated`,
      'header',
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = buf.readUInt32BE(4 + 4 * i);
    dims.push(d);
    count *= d;
  }
  return { dims, headerLen, count };
}

function checkIdxLength(path: string, what: string, dims: number[], headerLen: number, length: number): void {
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerLen + count;
  if (length === expected) return;
  const diff = length < expected ? `${expected - length} missing` : `${length - expected} extra`;
  const fix = length < expected ? 'the file is truncated; re-download or reinstall it' : 'trailing bytes after the data; the header or the file is wrong';
  throw new DataError(
    path,
    `header says ${describeDims(dims)} (dims [${dims.join(', ')}]), so ${what} should hold ` +
      `${headerLen} + ${count} = ${expected} bytes, but it holds ${length} (${diff}): ${fix}`,
    'header',
  );
}

// ---------------------------------------------------------------------------------------------
// IDX images + labels as examples (the `idx` dataset, Fashion-MNIST, MNIST)

/** [H, W, C] of one image from the image file's dims [N, H, W] or [N, H, W, C]. */
function imageShape(path: string, dims: number[]): number[] {
  if (dims.length === 3) return [dims[1], dims[2], 1];
  if (dims.length === 4) return [dims[1], dims[2], dims[3]];
  throw new DataError(path, `expected images of dims [N, H, W] or [N, H, W, C] but the header says [${dims.join(', ')}]`, 'header');
}

function checkLabelDims(labels: string, dims: number[], images: string, n: number): void {
  if (dims.length !== 1 && !(dims.length === 2 && dims[1] === 1)) {
    throw new DataError(labels, `expected labels of dims [N] but the header says [${dims.join(', ')}]`, 'header');
  }
  if (dims[0] !== n) {
    throw new DataError(labels, `holds ${dims[0]} labels but ${images} holds ${n} images; the two files must describe the same examples`, 'header');
  }
}

/** What `readIdxExamples` would return, from the image file's header and the (small) label file. */
export function inspectIdx(images: string, labels: string | null): { size: number; shape: number[]; numClasses: number } {
  const { dims } = inspectIdxFile(images);
  const shape = imageShape(images, dims);
  const n = dims[0];
  if (labels === null) return { size: n, shape, numClasses: 1 };
  const l = readIdxFile(labels);
  checkLabelDims(labels, l.dims, images, n);
  return { size: n, shape, numClasses: classCount(Int32Array.from(l.data)) };
}

/** An IDX image file (pixel / 255) and its label file (class ids; null = unlabelled) as examples. */
export function readIdxExamples(images: string, labels: string | null, name: string): Examples {
  const img = readIdxFile(images);
  const shape = imageShape(images, img.dims);
  const n = img.dims[0];
  let ids = new Int32Array(n);
  if (labels !== null) {
    const l = readIdxFile(labels);
    checkLabelDims(labels, l.dims, images, n);
    ids = Int32Array.from(l.data);
  }
  return {
    name,
    values: img.data,
    divisor: 255,
    labels: ids,
    size: n,
    shape,
    numClasses: classCount(ids),
    files: labels === null ? [images] : [images, labels],
  };
}
