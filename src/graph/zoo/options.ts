import { SlicetuneError } from '../../util/errors.js';

export interface ZooOptions {
  /** Image side for the CNNs (default 224); a smaller one keeps CPU reference runs short. */
  inputSize?: number;
  /** Sequence length for the transformer (default 128). */
  seqLen?: number;
  /** Seed of the random weights (default 1). */
  seed?: number;
}

/** The input side, checked to be an integer no smaller than what the model downsamples by. */
export function imageSize(model: string, options: ZooOptions, downsampling: number): number {
  const size = options.inputSize ?? 224;
  if (!Number.isInteger(size) || size < downsampling) {
    throw new SlicetuneError(
      'BAD_OPTION',
      `${model}: input size ${size} must be an integer >= ${downsampling}`,
    );
  }
  return size;
}
