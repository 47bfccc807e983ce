/**
 * A folder of PNG/JPEG images, one sub-folder per class (the torchvision `ImageFolder` layout):
 *
 *   dir/cat/001.png, dir/cat/002.jpg, dir/dog/a.jpeg, ...
 *
 * - Classes are the sub-folders in sorted (code-unit) order, ids 0..K-1; hidden folders and files
 *   (`.x`, such as macOS `._a.png`) and files that are not .png/.jpg/.jpeg (any case) are ignored; a
 *   class folder without images is an error. Sub-folders of a class folder are not searched.
 * - Example order interleaves the classes (the first image of every class, then the second, ...),
 *   each class's files in sorted order, so `limit: N` keeps every class instead of the first few.
 * - Decoding: pngjs (PNG, any bit depth and colour type; 16-bit is scaled to 8) and jpeg-js
 *   (baseline and progressive JPEG), both pure JavaScript.
 * - Channels: 3 (RGB) unless every image is grayscale by its header (PNG colour type 0 or 4, a
 *   1-component JPEG), then 1; `channels:` overrides. Converting RGB to 1 channel uses ITU-R
 *   BT.601 luma, round(0.299 R + 0.587 G + 0.114 B); gray to RGB repeats the value; alpha is
 *   dropped (the stored colour is kept, not composited on a background).
 * - Size: without `size:`, every image must be as large as the first (class order, then file
 *   order); another size is an error naming the file, its size and the expected one. With
 *   `size: N` every image is resized to N x N by bilinear interpolation with half-pixel centres
 *   (TF's `resize_bilinear(half_pixel_centers=True)`, no antialiasing; the aspect ratio is not
 *   kept), images already N x N untouched.
 * Pixels are stored as bytes, pixel / 255 as values.
 */
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { DataError } from './errors.js';
import type { Examples } from './examples.js';
import { listFolder, readPrefix, readRaw } from './files.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/**
 * The decoders, loaded on first decode: loading pngjs and jpeg-js costs ~65 ms, which `ssl check`
 * (it reads image headers only, below) should not pay. Both are CommonJS, so `require` is safe.
 */
const load = createRequire(import.meta.url);
const decoders = () => ({ PNG: (load('pngjs') as typeof import('pngjs')).PNG, jpeg: load('jpeg-js') as typeof import('jpeg-js') });

export interface ImageFolderOptions {
  /** Resize every image to size x size; null = all must share the first image's size. */
  size: number | null;
  /** 1 or 3; null = 1 when every image is grayscale, else 3. */
  channels: 1 | 3 | null;
}

interface ImageFile {
  path: string;
  label: number;
}

interface ImageHeader {
  width: number;
  height: number;
  grayscale: boolean;
}

/** Class folder names and the image files in example order (classes interleaved). */
export function listImageFolder(dir: string): { classes: string[]; files: ImageFile[] } {
  const classes = listFolder(dir)
    .filter((e) => e.isDirectory && !e.name.startsWith('.'))
    .map((e) => e.name);
  if (classes.length === 0) {
    throw new DataError(dir, 'has no class sub-folders; put each class\'s images in its own sub-folder (dir/cat/1.png, dir/dog/2.jpg, ...)');
  }
  const perClass = classes.map((name) => {
    const files = listFolder(join(dir, name))
      .filter((e) => e.isFile && !e.name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
      .map((e) => join(dir, name, e.name));
    if (files.length === 0) throw new DataError(join(dir, name), 'this class folder holds no .png, .jpg or .jpeg images');
    return files;
  });
  const files: ImageFile[] = [];
  const longest = Math.max(...perClass.map((f) => f.length));
  for (let i = 0; i < longest; i++) perClass.forEach((list, label) => i < list.length && files.push({ path: list[i], label }));
  return { classes, files };
}

/** Width, height and whether the image is grayscale, from the first bytes of the file. */
export function readImageHeader(path: string): ImageHeader {
  let head = readPrefix(path, 64 * 1024);
  if (head.length >= 24 && head.readUInt32BE(0) === 0x89504e47 && head.toString('latin1', 12, 16) === 'IHDR') {
    const colorType = head[25];
    return { width: head.readUInt32BE(16), height: head.readUInt32BE(20), grayscale: colorType === 0 || colorType === 4 };
  }
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const sof = jpegFrame(head);
      if (sof) return sof;
      if (attempt === 0) head = readRaw(path); // the frame header lies beyond the first 64 KB (large EXIF data)
    }
    throw new DataError(path, 'is a JPEG without a frame header (SOF marker); the file is truncated or corrupt');
  }
  throw new DataError(path, `is not a PNG or JPEG image (it starts with bytes ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
}

/** The JPEG start-of-frame segment's size and component count, if it lies within `buf`. */
function jpegFrame(buf: Buffer): ImageHeader | undefined {
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return undefined;
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (i + 10 > buf.length) return undefined;
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7), grayscale: buf[i + 9] === 1 };
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / start of scan before any frame
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return undefined;
}

interface Plan {
  classes: string[];
  files: ImageFile[];
  /** [H, W, C] of every example. */
  shape: number[];
}

/** Lists the folder and reads every image's header: the shape of the examples, or the first misfit. */
function plan(dir: string, options: ImageFolderOptions): Plan {
  const { classes, files } = listImageFolder(dir);
  const headers = files.map((f) => readImageHeader(f.path));
  const first = headers[0];
  if (options.size === null) {
    headers.forEach((h, i) => {
      if (h.width !== first.width || h.height !== first.height) {
        throw new DataError(
          files[i].path,
          `is ${h.width}x${h.height} (width x height) but the first image, ${files[0].path}, is ${first.width}x${first.height}; every image must have one size, or pass size: N to resize them all to N x N`,
        );
      }
    });
  }
  const channels = options.channels ?? (headers.every((h) => h.grayscale) ? 1 : 3);
  const [height, width] = options.size === null ? [first.height, first.width] : [options.size, options.size];
  return { classes, files, shape: [height, width, channels] };
}

export function inspectImageFolder(dir: string, options: ImageFolderOptions): { size: number; shape: number[]; numClasses: number; classes: string[] } {
  const p = plan(dir, options);
  return { size: p.files.length, shape: p.shape, numClasses: p.classes.length, classes: p.classes };
}

/** Decodes one image to RGBA bytes. */
export function decodeImage(path: string): { width: number; height: number; rgba: Uint8Array } {
  const bytes = readRaw(path);
  const isPng = bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const { PNG, jpeg } = decoders();
  try {
    if (isPng) {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, rgba: img.data };
  } catch (e) {
    throw new DataError(path, `cannot decode the ${isPng ? 'PNG' : 'JPEG'} image: ${(e as Error).message}; the file is corrupt`);
  }
}

/**
 * Bilinear resize of an RGBA image with half-pixel centres: output pixel (y, x) samples the input
 * at ((y + 0.5) * inH / outH - 0.5, (x + 0.5) * inW / outW - 0.5), clamped to the edges.
 */
export function resizeBilinear(rgba: Uint8Array, inW: number, inH: number, outW: number, outH: number): Uint8Array {
  if (inW === outW && inH === outH) return rgba;
  const out = new Uint8Array(outW * outH * 4);
  const sy = inH / outH;
  const sx = inW / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), inH - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, inH - 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), inW - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, inW - 1);
      const wx = fx - x0;
      for (let c = 0; c < 4; c++) {
        const top = rgba[(y0 * inW + x0) * 4 + c] * (1 - wx) + rgba[(y0 * inW + x1) * 4 + c] * wx;
        const bottom = rgba[(y1 * inW + x0) * 4 + c] * (1 - wx) + rgba[(y1 * inW + x1) * 4 + c] * wx;
        out[(y * outW + x) * 4 + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return out;
}

/** RGBA pixels -> `channels` (1: BT.601 luma; 3: RGB) written at `out[offset..]`. */
function writePixels(rgba: Uint8Array, pixels: number, channels: number, out: Uint8Array, offset: number): void {
  for (let p = 0; p < pixels; p++) {
    const r = rgba[4 * p];
    const g = rgba[4 * p + 1];
    const b = rgba[4 * p + 2];
    if (channels === 1) out[offset + p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else {
      out[offset + 3 * p] = r;
      out[offset + 3 * p + 1] = g;
      out[offset + 3 * p + 2] = b;
    }
  }
}

export function readImageFolder(dir: string, options: ImageFolderOptions, name: string): Examples {
  const { classes, files, shape } = plan(dir, options);
  const [height, width, channels] = shape;
  const e = height * width * channels;
  const values = new Uint8Array(files.length * e); // [N, H, W, C]
  const labels = new Int32Array(files.length);
  files.forEach((f, i) => {
    const img = decodeImage(f.path);
    if (options.size === null && (img.width !== width || img.height !== height)) {
      throw new DataError(f.path, `is ${img.width}x${img.height} (width x height) but the first image, ${files[0].path}, is ${width}x${height}; every image must have one size, or pass size: N`);
    }
    const pixels = resizeBilinear(img.rgba, img.width, img.height, width, height);
    writePixels(pixels, width * height, channels, values, i * e);
    labels[i] = f.label;
  });
  return { name, values, divisor: 255, labels, size: files.length, shape, numClasses: classes.length, classes, files: files.map((f) => f.path) };
}
