/** TensorProto <-> Initializer: raw_data (little-endian) or the typed repeated fields. */
import { SlicetuneError } from '../../util/errors.js';
import { type Initializer, numel } from '../ir.js';
import { DATA_TYPE, type OnnxTypes, toNumber } from './proto.js';

/** A copy of the bytes in a fresh, aligned buffer (raw_data may sit at any offset). */
function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

function fromRaw(raw: Uint8Array, dataType: number): Float32Array | Float64Array | undefined {
  const buffer = alignedCopy(raw);
  switch (dataType) {
    case DATA_TYPE.FLOAT:
      return new Float32Array(buffer, 0, Math.floor(raw.length / 4));
    case DATA_TYPE.DOUBLE:
      return Float32Array.from(new Float64Array(buffer, 0, Math.floor(raw.length / 8)));
    case DATA_TYPE.INT64:
      return Float64Array.from(new BigInt64Array(buffer, 0, Math.floor(raw.length / 8)), (v) => Number(v));
    case DATA_TYPE.INT32:
      return Float64Array.from(new Int32Array(buffer, 0, Math.floor(raw.length / 4)));
    case DATA_TYPE.BOOL:
      return Float64Array.from(raw);
    default:
      return undefined;
  }
}

function fromFields(t: OnnxTypes.ITensorProto, dataType: number): Float32Array | Float64Array | undefined {
  switch (dataType) {
    case DATA_TYPE.FLOAT:
      return Float32Array.from(t.floatData ?? []);
    case DATA_TYPE.DOUBLE:
      return Float32Array.from(t.doubleData ?? []);
    case DATA_TYPE.INT64:
      return Float64Array.from(t.int64Data ?? [], (v) => toNumber(v));
    case DATA_TYPE.INT32:
    case DATA_TYPE.BOOL:
      return Float64Array.from(t.int32Data ?? []);
    default:
      return undefined;
  }
}

/** Decodes one tensor; `where` names it for errors (file and tensor or node). */
export function decodeTensor(t: OnnxTypes.ITensorProto, name: string, where: string): Initializer {
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new SlicetuneError(
      'BAD_MODEL',
      `${where}: tensor '${name}' keeps its data in an external file, which is not supported; ` +
        'save the model with all tensors inside it (onnx.save(model, path, save_as_external_data=False))',
    );
  }
  const dataType = t.dataType ?? 0;
  const shape = (t.dims ?? []).map((d) => toNumber(d));
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const data = raw ? fromRaw(raw, dataType) : fromFields(t, dataType);
  if (!data) {
    throw new SlicetuneError(
      'BAD_MODEL',
      `${where}: tensor '${name}' has data type ${dataType}, which is not supported`,
    );
  }
  if (data.length !== numel(shape)) {
    throw new SlicetuneError(
      'BAD_MODEL',
      `${where}: tensor '${name}' holds ${data.length} values for shape [${shape}] (a truncated or malformed file?)`,
    );
  }
  const dtype = data instanceof Float32Array ? 'f32' : 'i64';
  return { name, dtype, shape, data };
}

const INT64_MAX = 2n ** 63n - 1n;

/** Float64 holds INT64_MAX (Slice's "to the end") only as 2^63, which would wrap: clamp it. */
function toInt64(v: number): bigint {
  const big = BigInt(Math.trunc(v));
  return big > INT64_MAX ? INT64_MAX : big < -INT64_MAX - 1n ? -INT64_MAX - 1n : big;
}

export function encodeTensor(init: Initializer): OnnxTypes.ITensorProto {
  const bytes =
    init.dtype === 'f32'
      ? new Uint8Array(Float32Array.from(init.data).buffer)
      : new Uint8Array(BigInt64Array.from(init.data, toInt64).buffer);
  return {
    name: init.name,
    dims: [...init.shape],
    dataType: init.dtype === 'f32' ? DATA_TYPE.FLOAT : DATA_TYPE.INT64,
    rawData: bytes,
  };
}
