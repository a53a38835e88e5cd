/**
 * Builds graphs the way PyTorch's ONNX export writes them (Conv + BatchNormalization + Relu,
 * Clip(0, 6) for ReLU6, Gemm for a 2-D Linear, MatMul + Add for a 3-D one), with seeded random
 * weights scaled He-style so that activations stay finite through deep models. Used by the zoo
 * and by tests that need small models.
 */
import { SlicetuneError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { AttrValue, DType, Graph, GraphNode, Initializer, TensorInfo, TensorValue } from './ir.js';
import { numel } from './ir.js';
import { evaluateConstant } from './passes/fold-constants.js';
import { inferNode } from './shapes.js';

export interface ConvOptions {
  out: number;
  kernel: number;
  stride?: number;
  pad?: number;
  groups?: number;
  bias?: boolean;
}

export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: TensorInfo[] = [];
  private readonly infos = new Map<string, TensorInfo>();
  private readonly values = new Map<string, TensorValue>();
  private readonly rng: Rng;

  constructor(
    private readonly name: string,
    seed = 0,
  ) {
    this.rng = new Rng(seed);
  }

  input(name: string, shape: number[], dtype: DType = 'f32'): string {
    const info = { name, dtype, shape };
    this.inputs.push(info);
    this.define(info);
    return name;
  }

  shapeOf(tensor: string): number[] {
    const info = this.infos.get(tensor);
    if (!info) throw new SlicetuneError('INTERNAL', `builder '${this.name}': unknown tensor '${tensor}'`);
    return info.shape;
  }

  /** A constant with the given values (f32 or i64). */
  constant(name: string, shape: number[], values: ArrayLike<number>, dtype: DType = 'f32'): string {
    const data = dtype === 'f32' ? Float32Array.from(values) : Float64Array.from(values);
    if (data.length !== numel(shape)) {
      throw new SlicetuneError(
        'INTERNAL',
        `builder: constant '${name}' has ${data.length} values for [${shape}]`,
      );
    }
    const init: Initializer = { name, dtype, shape, data };
    this.initializers.push(init);
    this.values.set(name, init);
    this.define({ name, dtype, shape });
    return name;
  }

  ints(name: string, values: number[]): string {
    return this.constant(name, [values.length], values, 'i64');
  }

  /** Uniform random values with the given mean and standard deviation. */
  random(name: string, shape: number[], std: number, mean = 0): string {
    const half = std * Math.sqrt(3);
    const data = new Float32Array(numel(shape));
    // A 32-bit LCG seeded from the Rng: VGG-16 has 138M weights, and this is several times faster.
    let state = this.rng.int(2 ** 32);
    for (let i = 0; i < data.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = mean + ((2 * state) / 4294967296 - 1) * half;
    }
    return this.constant(name, shape, data);
  }

  /** Adds a node; returns its output tensor names (`<node name>` or `<node name>:<i>`). */
  nodeOutputs(
    op: string,
    name: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputs = 1,
  ): string[] {
    const outNames = Array.from({ length: outputs }, (_, i) => (outputs === 1 ? name : `${name}:${i}`));
    const node: GraphNode = { name, op, inputs, outputs: outNames, attrs };
    const lookup = { info: (n: string) => this.infos.get(n), value: (n: string) => this.values.get(n) };
    const infos = inferNode(node, lookup);
    this.nodes.push(node);
    for (const info of infos) this.define(info);
    // Shape chains are known while building, as the importer knows them after folding.
    const known = evaluateConstant(node, infos, lookup);
    known?.forEach((value, i) => {
      this.values.set(outNames[i] ?? '', value);
    });
    return outNames;
  }

  node(op: string, name: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.nodeOutputs(op, name, inputs, attrs)[0] as string;
  }

  conv(x: string, name: string, o: ConvOptions): string {
    const c = this.shapeOf(x)[1] ?? 1;
    const groups = o.groups ?? 1;
    const fanIn = (c / groups) * o.kernel * o.kernel;
    const inputs = [
      x,
      this.random(`${name}.weight`, [o.out, c / groups, o.kernel, o.kernel], Math.sqrt(2 / fanIn)),
    ];
    if (o.bias) inputs.push(this.random(`${name}.bias`, [o.out], 1 / Math.sqrt(3 * fanIn)));
    const stride = o.stride ?? 1;
    const pad = o.pad ?? 0;
    return this.node('Conv', name, inputs, {
      dilations: [1, 1],
      group: groups,
      kernel_shape: [o.kernel, o.kernel],
      pads: [pad, pad, pad, pad],
      strides: [stride, stride],
    });
  }

  /** Inference-mode batch norm with random running statistics near the identity. */
  batchNorm(x: string, name: string): string {
    const c = this.shapeOf(x)[1] ?? 1;
    const gamma = this.random(`${name}.weight`, [c], 0.1, 0.8);
    const beta = this.random(`${name}.bias`, [c], 0.05);
    const mean = this.random(`${name}.running_mean`, [c], 0.05);
    const variance = this.random(`${name}.running_var`, [c], 0.2, 1);
    return this.node('BatchNormalization', name, [x, gamma, beta, mean, variance], {
      epsilon: 1e-5,
      momentum: 0.9,
    });
  }

  relu(x: string, name: string): string {
    return this.node('Relu', name, [x]);
  }

  /** ReLU6 as PyTorch exports it: Clip with constant min 0 and max 6. */
  relu6(x: string, name: string): string {
    if (!this.values.has('relu6.min')) {
      this.constant('relu6.min', [], [0]);
      this.constant('relu6.max', [], [6]);
    }
    return this.node('Clip', name, [x, 'relu6.min', 'relu6.max']);
  }

  /** PyTorch's Linear: Gemm(transB) on 2-D input, MatMul by the transposed weight + Add on more dims. */
  linear(x: string, name: string, out: number, bias = true): string {
    const shape = this.shapeOf(x);
    const k = shape[shape.length - 1] ?? 1;
    const std = 1 / Math.sqrt(k);
    if (shape.length === 2) {
      const inputs = [x, this.random(`${name}.weight`, [out, k], std)];
      if (bias) inputs.push(this.random(`${name}.bias`, [out], std));
      return this.node('Gemm', name, inputs, { alpha: 1, beta: 1, transB: 1 });
    }
    const product = this.node('MatMul', `${name}/MatMul`, [
      x,
      this.random(`${name}.weight_t`, [k, out], std),
    ]);
    if (!bias) return product;
    return this.node('Add', `${name}/Add`, [this.random(`${name}.bias`, [out], std), product]);
  }

  finish(outputs: string[]): Graph {
    for (const o of outputs) this.shapeOf(o);
    return {
      name: this.name,
      inputs: [...this.inputs],
      outputs: [...outputs],
      initializers: [...this.initializers],
      nodes: [...this.nodes],
    };
  }

  private define(info: TensorInfo): void {
    if (this.infos.has(info.name)) {
      throw new SlicetuneError('INTERNAL', `builder '${this.name}': tensor '${info.name}' defined twice`);
    }
    this.infos.set(info.name, info);
  }
}
