export { batchMatmulTemplate } from './batch-matmul.js';
export { conv2dDirectTemplate } from './conv2d-direct.js';
export { conv2dIgemmTemplate } from './conv2d-igemm.js';
export { conv2dIgemmTf32Template } from './conv2d-igemm-tf32.js';
export { denseTemplate } from './dense.js';
export { depthwiseConv2dTemplate } from './depthwise.js';
export { referenceKernel } from './reference.js';
export {
  defaultTemplateFor,
  getTemplate,
  makeTask,
  TEMPLATE_NAMES,
  TEMPLATES,
  type TemplateFilter,
  templatesFor,
} from './registry.js';
export type { Task, Template } from './types.js';
