import { describe, expect, it } from 'vitest';
import { outputShape, RESNET18_WORKLOADS, workloadKey, workloadMacs } from '../../src/ops/index.js';

describe('RESNET18_WORKLOADS', () => {
  it('holds 15 unique convs and the classifier, all distinct', () => {
    const keys = RESNET18_WORKLOADS.map((m) => workloadKey(m.workload));
    expect(new Set(keys).size).toBe(16);
    expect(RESNET18_WORKLOADS.filter((m) => m.workload.op === 'conv2d')).toHaveLength(15);
    expect(RESNET18_WORKLOADS.filter((m) => m.workload.op === 'dense')).toHaveLength(1);
  });

  it('counts 20 convolutions and about 1.8 GMACs per image', () => {
    const convs = RESNET18_WORKLOADS.filter((m) => m.workload.op === 'conv2d').reduce(
      (a, m) => a + m.count,
      0,
    );
    expect(convs).toBe(20);
    const macs = RESNET18_WORKLOADS.reduce((a, m) => a + m.count * workloadMacs(m.workload), 0);
    expect(macs / 1e9).toBeGreaterThan(1.79);
    expect(macs / 1e9).toBeLessThan(1.83);
  });

  it('puts residual+relu on second convs and a plain bias on downsamples', () => {
    for (const { name, workload } of RESNET18_WORKLOADS) {
      expect(workload.epilogue.bias).toBe(true);
      expect(workload.epilogue.residual).toBe(name.endsWith('conv2'));
      const plain = name.endsWith('downsample') || name === 'fc';
      expect(workload.epilogue.activation).toBe(plain ? 'none' : 'relu');
      if (workload.op === 'conv2d' && name.endsWith('downsample')) {
        expect(outputShape(workload)).toEqual(
          outputShape(
            RESNET18_WORKLOADS.find((m) => m.name === name.replace('downsample', 'conv1'))!.workload,
          ),
        );
      }
    }
  });
});
