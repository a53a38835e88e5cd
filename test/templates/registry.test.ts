import { describe, expect, it } from 'vitest';
import { SIM_DEVICE_INFO } from '../../src/gpu/sim/index.js';
import { batchMatmulWorkload, conv2dWorkload, denseWorkload, workloadKey } from '../../src/ops/index.js';
import {
  defaultTemplateFor,
  getTemplate,
  makeTask,
  TEMPLATE_NAMES,
  TEMPLATES,
  templatesFor,
} from '../../src/templates/index.js';
import { expectSlicetuneError } from '../helpers/errors.js';
import { ALL_SHAPES } from './shapes.js';

const conv = conv2dWorkload({ n: 1, c: 64, h: 56, w: 56, k: 64, r: 3, s: 3, padH: 1, padW: 1 });
const depthwise = conv2dWorkload({
  n: 1,
  c: 32,
  h: 28,
  w: 28,
  k: 32,
  r: 3,
  s: 3,
  padH: 1,
  padW: 1,
  groups: 32,
});

describe('template registry', () => {
  it('names are unique and cover every required template', () => {
    expect(new Set(TEMPLATE_NAMES).size).toBe(TEMPLATES.length);
    for (const name of [
      'conv2d_direct',
      'conv2d_igemm',
      'depthwise_conv2d',
      'dense',
      'batch_matmul',
      'conv2d_igemm_tf32',
    ]) {
      expect(getTemplate(name).name).toBe(name);
    }
  });

  it('getTemplate of an unknown name throws NOT_FOUND listing the known names', () => {
    expectSlicetuneError(() => getTemplate('winograd'), 'NOT_FOUND', 'conv2d_direct');
  });

  it('templatesFor leaves tensor-core templates out unless asked', () => {
    const plain = templatesFor(conv).map((t) => t.name);
    const withTc = templatesFor(conv, { tensorCore: true }).map((t) => t.name);
    expect(plain).toEqual(['conv2d_direct', 'conv2d_igemm']);
    expect(withTc).toContain('conv2d_igemm_tf32');
    expect(
      templatesFor(conv, { tensorCore: true })
        .filter((t) => t.tensorCore)
        .map((t) => t.name),
    ).toEqual(['conv2d_igemm_tf32']);
  });

  it('the depthwise template applies to depthwise convs only', () => {
    expect(templatesFor(depthwise).map((t) => t.name)).toContain('depthwise_conv2d');
    expect(templatesFor(conv).map((t) => t.name)).not.toContain('depthwise_conv2d');
    const multiplier = conv2dWorkload({ n: 1, c: 8, h: 8, w: 8, k: 16, r: 3, s: 3, groups: 8 });
    expect(templatesFor(multiplier).map((t) => t.name)).not.toContain('depthwise_conv2d');
  });

  it('templatesFor matches the op', () => {
    expect(templatesFor(denseWorkload({ m: 1, n: 10, k: 10 })).map((t) => t.name)).toEqual(['dense']);
    expect(templatesFor(batchMatmulWorkload({ b: 2, m: 4, n: 4, k: 4 })).map((t) => t.name)).toEqual([
      'batch_matmul',
    ]);
  });

  it('defaultTemplateFor picks an applicable, non-tensor-core template for every shape', () => {
    for (const { w } of ALL_SHAPES) {
      const t = defaultTemplateFor(w);
      expect(t.applies(w)).toBe(true);
      expect(t.tensorCore).toBe(false);
      expect(t.space(w, SIM_DEVICE_INFO).isValid(t.defaultConfig(w, SIM_DEVICE_INFO))).toBe(true);
    }
    expect(defaultTemplateFor(depthwise).name).toBe('depthwise_conv2d');
    expect(defaultTemplateFor(conv2dWorkload({ n: 1, c: 256, h: 14, w: 14, k: 512, r: 1, s: 1 })).name).toBe(
      'conv2d_igemm',
    );
  });

  it('makeTask keys a task by workload and template', () => {
    const task = makeTask(conv, 'conv2d_igemm', 2);
    expect(task).toEqual({
      key: `${workloadKey(conv)}|conv2d_igemm`,
      workload: conv,
      workloadKey: workloadKey(conv),
      template: 'conv2d_igemm',
      weight: 2,
    });
    expect(makeTask(conv, 'conv2d_direct').weight).toBe(1);
  });

  it('makeTask rejects unknown templates, templates that do not apply and bad weights', () => {
    expectSlicetuneError(() => makeTask(conv, 'nope'), 'NOT_FOUND', 'nope');
    expectSlicetuneError(() => makeTask(conv, 'depthwise_conv2d'), 'UNSUPPORTED_OP', 'depthwise_conv2d');
    expectSlicetuneError(() => makeTask(conv, 'conv2d_direct', 0), 'BAD_OPTION', 'weight');
  });
});
