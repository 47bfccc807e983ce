import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from './errors.js';
import { readIdxFile } from './idx.js';
import { mnistFiles } from './mnist.js';

const dir = mkdtempSync(join(tmpdir(), 'ssl-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An IDX ubyte file: magic 00 00 08 ndims, big-endian dims, data. */
function idxBytes(dims: number[], data: Uint8Array, dtype = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = dtype;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

function write(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('readIdxFile', () => {
  const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 11) % 256);

  it('reads dims and data of a valid file', () => {
    const p = write('ok-idx3-ubyte', idxBytes([3, 2, 4], pixels));
    const r = readIdxFile(p);
    expect(r.dims).toEqual([3, 2, 4]);
    expect(Array.from(r.data)).toEqual(Array.from(pixels));
  });

  it('reads a gzipped file (.gz name) and detects gzip by its magic bytes', () => {
    const gz = gzipSync(idxBytes([3, 2, 4], pixels));
    expect(readIdxFile(write('ok-idx3-ubyte.gz', gz)).dims).toEqual([3, 2, 4]);
    expect(Array.from(readIdxFile(write('ok-gz-no-ext', gz)).data)).toEqual(Array.from(pixels));
  });

  it('names the file when it is missing', () => {
    const p = join(dir, 'nope-idx1-ubyte');
    const e = dataError(() => readIdxFile(p));
    expect(e.file).toBe(p);
    expect(e.message).toContain(p);
    expect(e.message).toContain('not found');
  });

  it('reports a truncated file with expected and actual sizes', () => {
    const full = idxBytes([3, 2, 4], pixels);
    const p = write('trunc-idx3-ubyte', full.subarray(0, full.length - 5));
    const e = dataError(() => readIdxFile(p));
    expect(e.file).toBe(p);
    expect(e.record).toBe('header');
    expect(e.message).toContain('header says 3 records of 2x4');
    expect(e.message).toContain(`should hold 16 + 24 = 40 bytes, but it holds 35 (5 missing)`);
    expect(e.message).toContain('truncated');
  });

  it('reports trailing bytes and a header cut short', () => {
    const extra = write('extra-idx1-ubyte', Buffer.concat([idxBytes([4], new Uint8Array(4)), Buffer.from([1, 2])]));
    expect(dataError(() => readIdxFile(extra)).message).toContain('(2 extra)');
    const short = write('short-idx3-ubyte', idxBytes([3, 2, 4], pixels).subarray(0, 9));
    expect(dataError(() => readIdxFile(short)).message).toMatch(/header declares 3 dimensions.*holds only 9 bytes/);
    const tiny = write('tiny', Buffer.from([0, 0]));
    expect(dataError(() => readIdxFile(tiny)).message).toContain('fewer than the 4-byte IDX magic number');
  });

  it('rejects a bad magic number, an unknown dtype and unsupported dtypes', () => {
    const html = write('html-idx3-ubyte', Buffer.from('<html><body>404</body></html>'));
    const e = dataError(() => readIdxFile(html));
    expect(e.file).toBe(html);
    expect(e.message).toContain('bad magic number 0x3c 0x68 0x74 0x6d');
    expect(dataError(() => readIdxFile(write('t07', idxBytes([1], new Uint8Array(1), 0x07)))).message).toContain(
      'unknown IDX data type 0x07',
    );
    expect(dataError(() => readIdxFile(write('t0d', idxBytes([1], new Uint8Array(4), 0x0d)))).message).toContain(
      '0x0d (float32) is not supported',
    );
  });

  it('reports a corrupt gzip file', () => {
    const gz = gzipSync(idxBytes([3, 2, 4], pixels));
    const p = write('bad-idx3-ubyte.gz', gz.subarray(0, gz.length - 10));
    expect(dataError(() => readIdxFile(p)).message).toContain('cannot gunzip');
  });

  it('reads the real MNIST files: counts and per-class counts', () => {
    const train = mnistFiles('train');
    const test = mnistFiles('test');
    const ti = readIdxFile(train.images);
    const tl = readIdxFile(train.labels);
    expect(ti.dims).toEqual([60000, 28, 28]);
    expect(tl.dims).toEqual([60000]);
    expect(readIdxFile(test.images).dims).toEqual([10000, 28, 28]);
    const testLabels = readIdxFile(test.labels);
    expect(testLabels.dims).toEqual([10000]);
    const counts = (labels: Uint8Array) => {
      const c = new Array<number>(10).fill(0);
      for (const l of labels) c[l]++;
      return c;
    };
    expect(counts(tl.data)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(counts(testLabels.data)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // First training digit is a 5 with its stroke ink in the middle rows.
    expect(tl.data[0]).toBe(5);
    let ink = 0;
    for (let k = 0; k < 784; k++) ink += ti.data[k];
    expect(ink).toBeGreaterThan(20000);
  });
});
