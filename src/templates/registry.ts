/**
 * The templates, by name. `templatesFor` lists the ones that can compute a workload (tensor-core
 * ones only on request: their numerics differ), `defaultTemplateFor` the one an untuned model
 * runs, `makeTask` the unit of tuning work.
 */
import type { Workload } from '../ops/index.js';
import { isDepthwise, workloadKey } from '../ops/index.js';
import { SlicetuneError } from '../util/errors.js';
import { batchMatmulTemplate } from './batch-matmul.js';
import { conv2dDirectTemplate } from './conv2d-direct.js';
import { conv2dIgemmTemplate } from './conv2d-igemm.js';
import { conv2dIgemmTf32Template } from './conv2d-igemm-tf32.js';
import { denseTemplate } from './dense.js';
import { depthwiseConv2dTemplate } from './depthwise.js';
import type { Task, Template } from './types.js';

export const TEMPLATES: readonly Template[] = Object.freeze([
  conv2dDirectTemplate,
  conv2dIgemmTemplate,
  depthwiseConv2dTemplate,
  conv2dIgemmTf32Template,
  denseTemplate,
  batchMatmulTemplate,
]);

export const TEMPLATE_NAMES: readonly string[] = Object.freeze(TEMPLATES.map((t) => t.name));

export function getTemplate(name: string): Template {
  const found = TEMPLATES.find((t) => t.name === name);
  if (!found) {
    throw new SlicetuneError(
      'NOT_FOUND',
      `no template named "${name}" (known: ${TEMPLATE_NAMES.join(', ')})`,
    );
  }
  return found;
}

export interface TemplateFilter {
  /** Include TF32 tensor-core templates (numerics differ from fp32). */
  tensorCore?: boolean;
}

export function templatesFor(w: Workload, options: TemplateFilter = {}): Template[] {
  return TEMPLATES.filter((t) => t.op === w.op && (options.tensorCore || !t.tensorCore) && t.applies(w));
}

/**
 * What a model runs untuned: depthwise convs their own template; convs with few input channels
 * per group (a network's stem, c = 3) the direct template, which tiles the image without padding
 * the short reduction; every other conv the implicit GEMM, which was faster on the H100 for every
 * other ResNet-18 layer at batch 1.
 */
export function defaultTemplateFor(w: Workload): Template {
  switch (w.op) {
    case 'conv2d': {
      if (isDepthwise(w)) return depthwiseConv2dTemplate;
      return w.shape.c / w.shape.groups < 16 ? conv2dDirectTemplate : conv2dIgemmTemplate;
    }
    case 'dense':
      return denseTemplate;
    case 'batch_matmul':
      if (!batchMatmulTemplate.applies(w)) {
        throw new SlicetuneError(
          'UNSUPPORTED_OP',
          `no template computes ${workloadKey(w)} (batch over 65535)`,
        );
      }
      return batchMatmulTemplate;
  }
}

export function makeTask(workload: Workload, templateName: string, weight = 1): Task {
  const template = getTemplate(templateName);
  const key = workloadKey(workload);
  if (!template.applies(workload)) {
    throw new SlicetuneError('UNSUPPORTED_OP', `template ${templateName} does not apply to ${key}`);
  }
  if (!(Number.isFinite(weight) && weight > 0)) {
    throw new SlicetuneError('BAD_OPTION', `task weight must be a positive number, got ${weight}`);
  }
  return { key: `${key}|${template.name}`, workload, workloadKey: key, template: template.name, weight };
}
