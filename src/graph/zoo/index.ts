/** The built-in model zoo: torchvision CNNs and a BERT-base encoder layer with seeded random weights. */
import type { Graph } from '../ir.js';
import { bertEncoder } from './bert.js';
import { mobilenetV2 } from './mobilenet.js';
import type { ZooOptions } from './options.js';
import { resnet18, resnet50 } from './resnet.js';
import { vgg16 } from './vgg.js';

export { BERT_BASE } from './bert.js';
export { MOBILENET_V2_SETTING } from './mobilenet.js';
export type { ZooOptions } from './options.js';
export { VGG16_CONFIG } from './vgg.js';

export const ZOO = {
  resnet18,
  resnet50,
  mobilenet_v2: mobilenetV2,
  vgg16,
  bert_encoder: bertEncoder,
} satisfies Record<string, (options?: ZooOptions) => Graph>;

export type ZooName = keyof typeof ZOO;

export function listZoo(): ZooName[] {
  return Object.keys(ZOO) as ZooName[];
}

export function isZooName(name: string): name is ZooName {
  return Object.hasOwn(ZOO, name);
}
