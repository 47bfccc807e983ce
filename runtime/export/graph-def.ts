/**
 * A TensorFlow GraphDef in the JSON form TensorFlow.js graph models use (model.json with
 * `format: 'graph-model'`, what tensorflowjs_converter writes and `tf.loadGraphModel` reads):
 * `modelTopology.node[]` of `{ name, op, input[], attr }`, attribute values as protobuf JSON
 * (`{ type: 'DT_FLOAT' }`, `{ list: { i: ['1', '2', '2', '1'] } }`, `{ s: base64 }`, `{ b: true }`,
 * `{ f: 1e-5 }`, `{ shape: { dim: [{ size: '-1' }] } }`), and every `Const` node's value stored in
 * the weights shard, named like the node, in the order of `weightsManifest[0].weights`.
 * (Attribute parsing: tfjs-converter src/operations/operation_mapper.ts.)
 *
 * The builder only appends: nodes are listed in creation order, which is a topological order.
 */

export type AttrValue =
  | { type: 'DT_FLOAT' | 'DT_INT32' }
  | { list: { i: string[] } }
  | { s: string }
  | { b: boolean }
  | { f: number }
  | { i: string }
  | { shape: TensorShapeJson }
  | { tensor: { dtype: 'DT_FLOAT' | 'DT_INT32'; tensorShape: TensorShapeJson } };

export interface TensorShapeJson {
  dim?: { size: string }[];
}

export interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** The model.json of a graph model (tfjs-core io `ModelJSON`). */
export interface GraphModelJson {
  format: 'graph-model';
  generatedBy: string;
  convertedBy: string;
  modelTopology: { node: NodeDef[]; library: Record<string, never>; versions: { producer: number; minConsumer: number } };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  signature: {
    inputs: Record<string, TensorInfoJson>;
    outputs: Record<string, TensorInfoJson>;
  };
  userDefinedMetadata?: Record<string, unknown>;
}

interface TensorInfoJson {
  name: string;
  dtype: 'DT_FLOAT';
  tensorShape: TensorShapeJson;
}

export const attr = {
  float: { type: 'DT_FLOAT' } as AttrValue,
  int32: { type: 'DT_INT32' } as AttrValue,
  ints: (values: readonly number[]): AttrValue => ({ list: { i: values.map(String) } }),
  string: (value: string): AttrValue => ({ s: Buffer.from(value, 'utf8').toString('base64') }),
  bool: (value: boolean): AttrValue => ({ b: value }),
  shape: (dims: readonly number[]): AttrValue => ({ shape: shapeJson(dims) }),
};

function shapeJson(dims: readonly number[]): TensorShapeJson {
  return dims.length === 0 ? {} : { dim: dims.map((d) => ({ size: String(d) })) };
}

/** A symbolic tensor while building: the node's name and its shape (-1 for the batch). */
export interface Sym {
  name: string;
  shape: number[];
}

export class GraphDefBuilder {
  private readonly nodes: NodeDef[] = [];
  private readonly names = new Set<string>();
  private readonly weights: { spec: WeightSpec; values: Float32Array | Int32Array }[] = [];
  private input: Sym | null = null;

  /** A unique node name: `base`, else `base_1`, `base_2`, ... */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** The model's one input, float32 of `shape` (-1 for the batch). */
  placeholder(name: string, shape: number[]): Sym {
    const n = this.unique(name);
    this.nodes.push({ name: n, op: 'Placeholder', attr: { dtype: attr.float, shape: attr.shape(shape) } });
    this.input = { name: n, shape };
    return this.input;
  }

  /** A float32 constant (a weight) holding `values` row-major. */
  constFloat(name: string, shape: number[], values: Float32Array): Sym {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`constant '${name}': ${values.length} values for shape [${shape}]`);
    return this.constant(name, shape, 'float32', Float32Array.from(values));
  }

  /** A float32 scalar constant (epsilons, scale factors). */
  scalar(name: string, value: number): Sym {
    return this.constant(name, [], 'float32', Float32Array.of(value));
  }

  /** An int32 vector constant (shapes, axes, permutations). */
  ints(name: string, values: readonly number[]): Sym {
    return this.constant(name, [values.length], 'int32', Int32Array.from(values));
  }

  private constant(name: string, shape: number[], dtype: 'float32' | 'int32', values: Float32Array | Int32Array): Sym {
    const n = this.unique(name);
    const dt = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({ name: n, op: 'Const', attr: { dtype: { type: dt }, value: { tensor: { dtype: dt, tensorShape: shapeJson(shape) } } } });
    this.weights.push({ spec: { name: n, shape, dtype }, values });
    return { name: n, shape };
  }

  /** An op node; `shape` is its output shape as the caller computed it (for later reshapes). */
  op(op: string, name: string, inputs: readonly Sym[], shape: number[], attrs: Record<string, AttrValue> = {}): Sym {
    const n = this.unique(name);
    this.nodes.push({ name: n, op, input: inputs.map((s) => s.name), attr: attrs });
    return { name: n, shape };
  }

  /**
   * The model.json and the weights shard (every constant's bytes, little-endian, in manifest
   * order). `output` becomes the signature's one output.
   */
  build(output: Sym, weightsPath: string, meta: { generatedBy: string; userDefinedMetadata?: Record<string, unknown> }): { json: GraphModelJson; weights: Uint8Array } {
    if (!this.input) throw new Error('the graph has no input');
    const bytes = this.weights.reduce((n, w) => n + w.values.byteLength, 0);
    const shard = new Uint8Array(bytes);
    let at = 0;
    for (const { values } of this.weights) {
      // Float32Array / Int32Array hold platform-endian bytes; every platform Node runs on is little-endian.
      shard.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
      at += values.byteLength;
    }
    const info = (s: Sym): TensorInfoJson => ({ name: `${s.name}:0`, dtype: 'DT_FLOAT', tensorShape: shapeJson(s.shape) });
    const json: GraphModelJson = {
      format: 'graph-model',
      generatedBy: meta.generatedBy,
      convertedBy: meta.generatedBy,
      modelTopology: { node: this.nodes, library: {}, versions: { producer: 1, minConsumer: 0 } },
      weightsManifest: [{ paths: [weightsPath], weights: this.weights.map((w) => w.spec) }],
      signature: { inputs: { [this.input.name]: info(this.input) }, outputs: { [output.name]: info(output) } },
      ...(meta.userDefinedMetadata ? { userDefinedMetadata: meta.userDefinedMetadata } : {}),
    };
    return { json, weights: shard };
  }
}
