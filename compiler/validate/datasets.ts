/**
 * Dataset calls -> `DataSource`s, with the size, shape and classes every later shape check needs.
 *
 * - Built-in datasets with known facts (mnist, digits, the generated cbf / synthetic_control) are
 *   described from the `datasets` table alone.
 * - Datasets read from files (fashion_mnist and every file format) name their files with paths
 *   relative to the folder of the recipe the call is written in (a base recipe's calls: the base's
 *   folder; `--set` values: the working directory). The paths are resolved here and recorded in the
 *   IR (`DataSource.files`), so the runtime reads exactly the files that were checked.
 * - The files are inspected through the loader's `inspectData` (runtime/data/inspect.ts reads the
 *   disk). A file problem is a `data-not-found` / `data-invalid` error at the dataset call, naming
 *   the file and record. Without an inspector (an in-memory compile) a file format is a
 *   `data-unchecked` error; fashion_mnist falls back to its published facts (60000 / 10000 of
 *   [28, 28, 1], 10 classes). With an inspector its facts are the files', so a smaller copy in
 *   `dir:` (a subset, test fixtures) works as well.
 */
import { posix } from 'node:path';
import type * as A from '../ast.js';
import { datasets, FASHION_MNIST_DIR, type BuiltinSpec, type DatasetFacts } from '../builtins.js';
import { Codes } from '../codes.js';
import { resolveBasePath } from '../extends.js';
import type { DataFiles, DataInspection, DatasetName, DataSource, DataSplit, Span } from '../ir.js';
import type { BoundArgs } from './args.js';
import { Part } from './part.js';
import { ERROR, ints, num, type Value } from './values.js';

/** What the compiler needs to know about one split of a source. */
interface Facts {
  size: number;
  shape: number[];
  numClasses: number;
  classes?: string[];
}

/** The file names of each split of the fixed-layout formats. */
export const splitFiles = {
  fashion_mnist: (dir: string, split: 'train' | 'test'): DataFiles => {
    const prefix = split === 'train' ? 'train' : 't10k';
    return { format: 'idx', images: posix.join(dir, `${prefix}-images-idx3-ubyte.gz`), labels: posix.join(dir, `${prefix}-labels-idx1-ubyte.gz`) };
  },
  cifar10: (dir: string, split: 'train' | 'test'): DataFiles => ({
    format: 'cifar10',
    files: split === 'train' ? [1, 2, 3, 4, 5].map((i) => posix.join(dir, `data_batch_${i}.bin`)) : [posix.join(dir, 'test_batch.bin')],
  }),
};

export class DataSources extends Part {
  /** Inspections of this compile, by request: the training data and a probe's default fit share one. */
  private readonly inspections = new Map<string, DataInspection>();

  /** The data source a checked dataset call describes, or ERROR after reporting. */
  fromCall(spec: BuiltinSpec, e: A.Call, b: BoundArgs): Value {
    const a = b.values;
    const dataset = spec.name as DatasetName;
    const info = datasets[dataset];
    const split: DataSplit = info.hasSplits ? ((a['split'] as { v: 'train' | 'test' }).v) : 'all';
    const str = (k: string) => (a[k]?.t === 'string' ? (a[k] as { v: string }).v : undefined);
    const at = (path: string) => resolveBasePath(e.span.uri, path);

    let files: DataFiles | undefined;
    switch (dataset) {
      case 'fashion_mnist':
        files = splitFiles.fashion_mnist(at(str('dir') ?? FASHION_MNIST_DIR), split as 'train' | 'test');
        break;
      case 'cifar10':
        files = splitFiles.cifar10(at(str('dir')!), split as 'train' | 'test');
        break;
      case 'idx':
        files = { format: 'idx', images: at(str('images')!), labels: str('label_file') === undefined ? null : at(str('label_file')!) };
        break;
      case 'csv': {
        const label = a['label'];
        files = {
          format: 'csv',
          file: at(str('file')!),
          label: label?.t === 'string' ? label.v : label?.t === 'number' ? label.v : null,
          shape: a['shape'] ? ints(a['shape']) : null,
          classes: num(a['classes']) ?? null,
        };
        break;
      }
      case 'ucr':
      case 'uea': {
        const ext = dataset === 'ucr' ? 'tsv' : 'ts';
        const base = at(str('path')!);
        files = { format: dataset, train: `${base}_TRAIN.${ext}`, test: `${base}_TEST.${ext}` };
        break;
      }
      case 'npy':
        files = { format: 'npy', x: at(str('x')!), y: str('y') === undefined ? null : at(str('y')!) };
        break;
      case 'image_folder': {
        const channels = num(a['channels']);
        if (channels === 2) {
          return this.error(Codes.valueOutOfRange, "'channels' of image_folder must be 1 (grayscale) or 3 (RGB), got 2", b.spans['channels'] ?? e.span, 'write channels: 1 or channels: 3');
        }
        files = { format: 'image_folder', dir: at(str('dir')!), size: num(a['size']) ?? null, channels: (channels as 1 | 3 | undefined) ?? null };
        break;
      }
      default:
        files = undefined;
    }

    const generated = info.seeds && split !== 'all' ? { seed: info.seeds[split], count: num(a['size']) ?? info.known!.sizes[split] } : undefined;
    const facts = this.facts(dataset, info, split, files, generated?.count, e.span);
    if (!facts) return ERROR;

    const limit = a['limit'] === undefined ? null : num(a['limit'])!;
    if (limit !== null && limit > facts.size) {
      const what = split === 'all' ? `${dataset}(...)` : `${dataset} split "${split}"`;
      return this.error(
        Codes.valueOutOfRange,
        `limit ${limit} is more than the ${facts.size} examples of ${what}`,
        b.spans['limit'] ?? e.span,
        `use at most limit: ${facts.size}, or leave it out for all of them`,
      );
    }
    if (files?.format === 'image_folder') files = { ...files, channels: facts.shape[2] as 1 | 3 };
    const source: DataSource = {
      kind: 'dataset',
      dataset,
      split,
      batch: num(a['batch'])!,
      labelFraction: num(a['labels'])!,
      size: limit ?? facts.size,
      limit,
      shape: facts.shape,
      numClasses: facts.numClasses,
      ...(files ? { files } : {}),
      ...(generated ? { generator: generated } : {}),
      ...(facts.classes ? { classes: facts.classes } : {}),
      origin: e.span,
    };
    return { t: 'data', source };
  }

  /**
   * The train split of the dataset `source` reads, all labels: a probe's default `fit:`. A source
   * without splits is its own fit data. Undefined after reporting (at `at`) when it cannot be read.
   */
  trainSplitOf(source: DataSource, at: Span): DataSource | undefined {
    const info = datasets[source.dataset];
    if (source.split === 'train' || source.split === 'all') return { ...source, labelFraction: 1 };
    // ucr/uea files name both splits already; the fixed layouts are re-derived from their folder.
    let files = source.files;
    if (files?.format === 'idx' && source.dataset === 'fashion_mnist') files = splitFiles.fashion_mnist(posix.dirname(files.images), 'train');
    if (files?.format === 'cifar10') files = splitFiles.cifar10(posix.dirname(files.files[0]!), 'train');
    const generator = info.seeds ? { seed: info.seeds.train, count: info.known!.sizes.train } : undefined;
    const facts = this.facts(source.dataset, info, 'train', files, generator?.count, at);
    if (!facts) return undefined;
    const size = Math.min(source.limit ?? facts.size, facts.size);
    return {
      ...source,
      split: 'train',
      labelFraction: 1,
      size,
      limit: source.limit === null ? null : size,
      shape: facts.shape,
      numClasses: facts.numClasses,
      ...(files ? { files: files.format === 'image_folder' ? { ...files, channels: facts.shape[2] as 1 | 3 } : files } : {}),
      ...(generator ? { generator } : {}),
      ...(facts.classes ? { classes: facts.classes } : {}),
    };
  }

  /** Size, shape and classes of one split: from the table, or by inspecting the files. */
  private facts(dataset: DatasetName, info: DatasetFacts, split: DataSplit, files: DataFiles | undefined, generatedCount: number | undefined, at: Span): Facts | undefined {
    const known = info.known && split !== 'all' ? { size: generatedCount ?? info.known.sizes[split], shape: [...info.known.shape], numClasses: info.known.numClasses } : undefined;
    if (!files) return known;
    const inspect = this.session.loader.inspectData;
    if (!inspect) {
      if (known) return known;
      this.error(
        Codes.dataUnchecked,
        `cannot check ${dataset}(...): this compile has no access to data files`,
        at,
        'check the recipe with the ssl command line (`ssl check`), which reads the files; an in-memory compile needs a loader with inspectData',
      );
      return undefined;
    }
    const key = JSON.stringify([files, split]);
    let r = this.inspections.get(key);
    if (!r) {
      try {
        r = inspect(files, split);
      } catch (err) {
        // The inspector's contract is to return problems, not throw them; a throw is its bug, but the
        // compile still must not crash.
        r = { ok: false, file: dataFilesLabel(files), message: `cannot inspect the data: ${err instanceof Error ? err.message : String(err)}`, missing: false };
      }
      this.inspections.set(key, r);
    }
    if (!r.ok) {
      const where = `${r.file}${r.record !== undefined ? ` (${r.record})` : ''}`;
      this.error(r.missing ? Codes.dataNotFound : Codes.dataInvalid, `${dataset}(...) data: ${where}: ${r.message}`, at, problemHint(dataset, files, r));
      return undefined;
    }
    return { size: r.size, shape: r.shape, numClasses: r.numClasses, ...(r.classes ? { classes: r.classes } : {}) };
  }
}

/** The main file of a request, for messages. */
function dataFilesLabel(files: DataFiles): string {
  switch (files.format) {
    case 'idx':
      return files.images;
    case 'csv':
      return files.file;
    case 'ucr':
    case 'uea':
      return files.train;
    case 'cifar10':
      return files.files[0]!;
    case 'npy':
      return files.x;
    case 'image_folder':
      return files.dir;
  }
}

function problemHint(dataset: DatasetName, files: DataFiles, r: Extract<DataInspection, { ok: false }>): string {
  if (r.missing) {
    if (dataset === 'fashion_mnist') {
      return `install the Debian package that ships it (apt-get install dataset-fashion-mnist, into ${FASHION_MNIST_DIR}), or pass dir: "FOLDER" holding the *-ubyte.gz files`;
    }
    return `check the path: it is relative to the folder of the recipe that names it (resolved to ${dataFilesLabel(files)})`;
  }
  switch (files.format) {
    case 'csv':
      return 'fix the file, or the call (`label:`, `shape:`, `classes:`) so it describes the file';
    case 'image_folder':
      return 'resize the images to one size, or pass size: N to resize every image to N x N';
    default:
      return 'the file is damaged or not in the format this dataset reads; re-create or re-download it';
  }
}
