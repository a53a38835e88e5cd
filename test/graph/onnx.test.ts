import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/graph/index.js';
import { exportOnnx } from '../../src/graph/onnx/export.js';
import { importOnnx, loadOnnxFile } from '../../src/graph/onnx/import.js';
import { type OnnxTypes, onnx } from '../../src/graph/onnx/proto.js';
import { optimizeGraph } from '../../src/graph/passes/index.js';
import { randomGraphInputs, runReference } from '../../src/graph/reference.js';
import { expectSlicetuneError } from '../helpers/errors.js';
import { smallCnn } from './helpers.js';

const FLOAT = 1;
const INT64 = 7;

function valueInfo(name: string, dims: (number | string)[], elemType = FLOAT): OnnxTypes.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function int64Tensor(name: string, values: number[], dims = [values.length]): OnnxTypes.ITensorProto {
  return {
    name,
    dataType: INT64,
    dims,
    rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
  };
}

function model(graph: OnnxTypes.IGraphProto, opset = 17): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph,
  }).finish();
}

describe('ONNX export and import', () => {
  it('round-trips a graph: same nodes, attributes and weights', () => {
    const g = smallCnn();
    const back = importOnnx(exportOnnx(g), { source: 'roundtrip.onnx' });
    expect(back.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs])).toEqual(
      g.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs]),
    );
    // Float attributes are float32 in ONNX.
    const f32 = (attrs: object) =>
      JSON.parse(JSON.stringify(attrs), (_k, v) => (typeof v === 'number' ? Math.fround(v) : v));
    expect(back.nodes.map((n) => n.attrs)).toEqual(g.nodes.map((n) => f32(n.attrs)));
    const byName = new Map(back.initializers.map((i) => [i.name, i]));
    for (const init of g.initializers) {
      expect(byName.get(init.name)?.shape).toEqual(init.shape);
      expect(byName.get(init.name)?.data).toEqual(init.data);
    }
    expect(back.inputs).toEqual(g.inputs);
  });

  it('reads a PyTorch-style graph: Constant nodes, a shape chain, Identity, Dropout, float_data', () => {
    const bytes = model({
      name: 'torch_like',
      input: [valueInfo('x', [2, 3, 4])],
      output: [valueInfo('y', [2, 12])],
      initializer: [
        { name: 'w', dataType: FLOAT, dims: [12], floatData: Array.from({ length: 12 }, (_, i) => i / 10) },
      ],
      node: [
        { name: '/Shape', opType: 'Shape', input: ['x'], output: ['s'] },
        {
          name: '/Constant',
          opType: 'Constant',
          output: ['zero'],
          attribute: [{ name: 'value', type: 4, t: int64Tensor('', [0], []) }],
        },
        {
          name: '/Gather',
          opType: 'Gather',
          input: ['s', 'zero'],
          output: ['n'],
          attribute: [{ name: 'axis', type: 2, i: 0 }],
        },
        {
          name: '/Constant_1',
          opType: 'Constant',
          output: ['axes'],
          attribute: [{ name: 'value', type: 4, t: int64Tensor('', [0]) }],
        },
        { name: '/Unsqueeze', opType: 'Unsqueeze', input: ['n', 'axes'], output: ['n1'] },
        {
          name: '/Constant_2',
          opType: 'Constant',
          output: ['rest'],
          attribute: [{ name: 'value_ints', type: 7, ints: [-1] }],
        },
        {
          name: '/Concat',
          opType: 'Concat',
          input: ['n1', 'rest'],
          output: ['shape'],
          attribute: [{ name: 'axis', type: 2, i: 0 }],
        },
        { name: '/Reshape', opType: 'Reshape', input: ['x', 'shape'], output: ['r'] },
        { name: '/Identity', opType: 'Identity', input: ['r'], output: ['r2'] },
        { name: '/Dropout', opType: 'Dropout', input: ['r2'], output: ['r3'] },
        { name: '/Mul', opType: 'Mul', input: ['r3', 'w'], output: ['y'] },
      ],
    });
    const g = importOnnx(bytes, { source: 'torch_like.onnx' });
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape', 'Mul']);
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const y = runReference(g, { x }).y;
    expect(y?.shape).toEqual([2, 12]);
    expect(y?.data[13]).toBeCloseTo(13 * 0.1, 5);
  });

  it('upgrades opset-6 Clip attributes to inputs, so ReLU6 still fuses', () => {
    const b = exportOnnx(smallCnn());
    const decoded = onnx.ModelProto.decode(b);
    const nodes = decoded.graph?.node ?? [];
    const clip = nodes.find((n) => n.opType === 'Clip');
    if (!clip) throw new Error('no Clip');
    clip.input = (clip.input ?? []).slice(0, 1);
    clip.attribute = [
      { name: 'min', type: 1, f: 0 },
      { name: 'max', type: 1, f: 6 },
    ];
    decoded.opsetImport = [{ domain: '', version: 6 }];
    const g = optimizeGraph(importOnnx(onnx.ModelProto.encode(decoded).finish(), { source: 'old.onnx' }));
    expect(g.nodes.some((n) => n.workload?.epilogue.activation === 'relu6')).toBe(true);
  });

  it('resolves symbolic input dimensions only when given', () => {
    const graph = {
      input: [valueInfo('x', ['batch', 4])],
      output: [valueInfo('y', ['batch', 4])],
      node: [{ name: 'relu', opType: 'Relu', input: ['x'], output: ['y'] }],
    };
    expectSlicetuneError(
      () => importOnnx(model(graph), { source: 'dyn.onnx' }),
      'BAD_MODEL',
      'dyn.onnx',
      "'x'",
      'batch',
    );
    expect(importOnnx(model(graph), { dims: { batch: 3 } }).inputs[0]?.shape).toEqual([3, 4]);
  });
});

describe('ONNX import errors name the file and the node', () => {
  it('an unsupported operator', () => {
    const bytes = model({
      input: [valueInfo('x', [4])],
      output: [valueInfo('y', [4])],
      node: [{ name: 'my_topk', opType: 'TopK', input: ['x'], output: ['y'] }],
    });
    expectSlicetuneError(
      () => importOnnx(bytes, { source: 'models/topk.onnx' }),
      'UNSUPPORTED_OP',
      'models/topk.onnx',
      "'my_topk'",
      'TopK',
    );
    const custom = model({
      input: [valueInfo('x', [4])],
      output: [valueInfo('y', [4])],
      node: [{ name: 'ms_gelu', opType: 'Gelu', domain: 'com.microsoft', input: ['x'], output: ['y'] }],
    });
    expectSlicetuneError(
      () => importOnnx(custom, { source: 'ms.onnx' }),
      'UNSUPPORTED_OP',
      'ms.onnx',
      "'ms_gelu'",
      'com.microsoft',
    );
  });

  it('a malformed or truncated file', () => {
    expectSlicetuneError(
      () => importOnnx(Uint8Array.of(0xff, 0xff, 0xff, 0x07), { source: 'junk.onnx' }),
      'BAD_MODEL',
      'junk.onnx',
    );
    const good = exportOnnx(smallCnn());
    const truncated = good.slice(0, Math.floor(good.length / 2));
    expectSlicetuneError(() => importOnnx(truncated, { source: 'half.onnx' }), 'BAD_MODEL', 'half.onnx');
    expectSlicetuneError(
      () => importOnnx(model({}), { source: 'empty.onnx' }),
      'BAD_MODEL',
      'empty.onnx',
      'no graph',
    );
  });

  it('a shape it cannot resolve', () => {
    const bytes = model({
      input: [valueInfo('x', [2, 6]), valueInfo('target', [2], INT64)],
      output: [valueInfo('y', [3, 4])],
      node: [{ name: '/dyn/Reshape', opType: 'Reshape', input: ['x', 'target'], output: ['y'] }],
    });
    expectSlicetuneError(
      () => importOnnx(bytes, { source: 'dyn_reshape.onnx' }),
      'BAD_MODEL',
      'dyn_reshape.onnx',
      "'/dyn/Reshape' (Reshape)",
      'cannot resolve',
    );
    const mismatch = model({
      input: [valueInfo('a', [2, 3]), valueInfo('b', [4, 5])],
      output: [valueInfo('y', [2, 5])],
      node: [{ name: 'mm', opType: 'MatMul', input: ['a', 'b'], output: ['y'] }],
    });
    expectSlicetuneError(
      () => importOnnx(mismatch, { source: 'mm.onnx' }),
      'BAD_MODEL',
      'mm.onnx',
      "'mm' (MatMul)",
    );
  });

  it('weights kept in external data', () => {
    const bytes = model({
      input: [valueInfo('x', [4])],
      output: [valueInfo('y', [4])],
      initializer: [
        {
          name: 'big_weight',
          dataType: FLOAT,
          dims: [4],
          dataLocation: 1,
          externalData: [{ key: 'location', value: 'w.bin' }],
        },
      ],
      node: [{ name: 'add', opType: 'Add', input: ['x', 'big_weight'], output: ['y'] }],
    });
    expectSlicetuneError(
      () => importOnnx(bytes, { source: 'ext.onnx' }),
      'BAD_MODEL',
      'ext.onnx',
      "'big_weight'",
      'external',
    );
  });
});

describe('loading models by name or path', () => {
  it('reads .onnx files, zoo names, and says what it accepts otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slicetune-graph-'));
    const path = join(dir, 'cnn.onnx');
    const g = smallCnn();
    writeFileSync(path, exportOnnx(g));
    const loaded = loadOnnxFile(path);
    const inputs = randomGraphInputs(g, 2);
    const out = g.outputs[0] ?? '';
    expect(runReference(loaded, inputs)[out]?.data).toEqual(runReference(g, inputs)[out]?.data);
    expect(loadModel(path).nodes).toHaveLength(g.nodes.length);
    expect(loadModel('bert_encoder', { seqLen: 4 }).inputs[0]?.shape).toEqual([1, 4, 768]);
    expectSlicetuneError(
      () => loadModel('resnet19'),
      'NOT_FOUND',
      'resnet19',
      'resnet18',
      'mobilenet_v2',
      '.onnx',
    );
    expectSlicetuneError(() => loadModel(join(dir, 'missing.onnx')), 'NOT_FOUND', 'missing.onnx');
  });
});
