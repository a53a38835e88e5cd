/**
 * A measurement session: the builder (CPU compile pool) and the slice pool (GPU runners) of
 * one device, plus the MPS daemon when the slices need one. Building is apart from running:
 * `prepare` compiles, `run` measures, so a client can compile its next batch while this one
 * is measured.
 */

import type { BackendOptions } from '../gpu/backend.js';
import { type DeviceChoice, probeDevices, resolveBackend } from '../gpu/device.js';
import { type MpsDaemon, type MpsDirs, mpsEnv, startMpsDaemon, stopMpsDaemon } from '../gpu/mps.js';
import type { BackendKind, DeviceInfo, KernelBinary, Slice, SliceMechanism } from '../gpu/types.js';
import { SlicetuneError } from '../util/errors.js';
import { Builder } from './builder.js';
import { DEFAULT_F32_TOLERANCE } from './check.js';
import { SlicePool } from './pool.js';
import type { RunnerItem } from './protocol.js';
import type { MeasuredItem, MeasureInput, MeasureOptions, MeasureResult } from './types.js';

export interface SessionConfig {
  device: DeviceChoice;
  mechanism: SliceMechanism;
  slices: number;
  percent: number;
  /** Compile workers (default: CPU cores). */
  compileWorkers?: number;
  backendOptions?: BackendOptions;
  /** MPS pipe/log directories slicetune uses when it starts the daemon itself. */
  mpsDirs?: MpsDirs;
}

/** A compiled input, or the compile failure that ends it. */
export type Prepared = { ok: true; item: RunnerItem } | { ok: false; id: string; result: MeasureResult };

export class MeasureSession {
  /** Results of binaries already measured on a slice: identical binaries are measured once. */
  private readonly measuredBinaries = new Map<string, MeasureResult>();

  private constructor(
    readonly backend: BackendKind,
    readonly backendReason: string,
    readonly builder: Builder,
    readonly pool: SlicePool,
    private readonly mps: MpsDaemon | undefined,
  ) {}

  static async open(config: SessionConfig): Promise<MeasureSession> {
    const { kind, reason } = resolveBackend(config.device);
    let mps: MpsDaemon | undefined;
    let env: Record<string, string> = {};
    if (config.mechanism === 'mps' && kind === 'cuda') {
      // An MPS client sees only its share; tell it the whole GPU's size for its reports.
      const deviceSms = (await probeDevices('cuda')).devices[0]?.sms;
      mps = await startMpsDaemon(config.mpsDirs);
      env = mpsEnv(config.percent, mps, deviceSms);
    }
    try {
      const pool = await SlicePool.start({
        backend: kind,
        mechanism: config.mechanism,
        slices: config.slices,
        percent: config.percent,
        backendOptions: config.backendOptions,
        env,
      });
      const builder = new Builder({ backend: kind, arch: pool.device.arch, workers: config.compileWorkers });
      return new MeasureSession(kind, reason, builder, pool, mps);
    } catch (e) {
      if (mps) await stopMpsDaemon(mps);
      throw e;
    }
  }

  get device(): DeviceInfo {
    return this.pool.device;
  }

  /** Compiles kernels and references (each distinct source once). */
  async prepare(inputs: readonly MeasureInput[]): Promise<Prepared[]> {
    const [kernels, references] = await Promise.all([
      this.builder.build(inputs.map((i) => i.kernel)),
      this.builder.build(inputs.map((i) => i.reference)),
    ]);
    return inputs.map((input, i): Prepared => {
      const k = kernels[i];
      const r = references[i];
      if (!k?.ok) {
        const message = k ? `${k.message}\n${k.log}`.trim() : 'not built';
        return {
          ok: false,
          id: input.id,
          result: { ok: false, kind: 'compile', message, compileMs: k?.compileMs ?? 0 },
        };
      }
      if (!r?.ok) {
        const message = `reference kernel did not compile: ${r ? r.message : 'not built'}`;
        return { ok: false, id: input.id, result: { ok: false, kind: 'compile', message, compileMs: 0 } };
      }
      const item: RunnerItem = {
        id: input.id,
        kernel: input.kernel,
        binary: k.binary,
        reference: input.reference,
        referenceBinary: r.binary,
        tolerance: input.tolerance ?? DEFAULT_F32_TOLERANCE,
      };
      return { ok: true, item };
    });
  }

  /**
   * Measures prepared items (on `server` when given, else on any free slice). A binary already
   * measured on the same kind of slice is not measured again: its result is reused.
   */
  async run(
    prepared: readonly Prepared[],
    options: MeasureOptions,
    server?: number,
  ): Promise<MeasuredItem[]> {
    const nominal = this.nominalSlice(server);
    const firstOfBinary = new Map<string, Promise<MeasuredItem>>();
    const out = prepared.map(async (p): Promise<MeasuredItem> => {
      if (!p.ok) return { id: p.id, result: p.result, slice: nominal, runWallMs: 0 };
      const key = binaryKey(p.item.binary, nominal.mechanism, nominal.sms);
      const known = this.measuredBinaries.get(key);
      if (known) return { id: p.item.id, result: known, slice: nominal, runWallMs: 0 };
      const same = firstOfBinary.get(key);
      if (same) return { ...(await same), id: p.item.id, runWallMs: 0 };
      const measured =
        server === undefined
          ? this.pool.measure([p.item], options).then((r) => r[0] as MeasuredItem)
          : this.pool.measureOn(server, p.item, options);
      firstOfBinary.set(key, measured);
      const m = await measured;
      this.measuredBinaries.set(key, m.result);
      return m;
    });
    return Promise.all(out);
  }

  /**
   * Measures prepared items each with the GPU to itself (no other measurement anywhere on the
   * device), never reusing an earlier result: the undisturbed re-timing of a task's best configs.
   */
  async runAlone(
    prepared: readonly Prepared[],
    options: MeasureOptions,
    server?: number,
  ): Promise<MeasuredItem[]> {
    const nominal = this.nominalSlice(server);
    const ready = prepared.flatMap((p) => (p.ok ? [p.item] : []));
    const measured = new Map((await this.pool.measureAlone(ready, options, server)).map((m) => [m.id, m]));
    return prepared.map((p) =>
      p.ok
        ? (measured.get(p.item.id) as MeasuredItem)
        : { id: p.id, result: p.result, slice: nominal, runWallMs: 0 },
    );
  }

  /** The slice that results not measured on a server (compile failures) are reported against. */
  private nominalSlice(server: number | undefined): Slice {
    const slice = this.pool.servers[server ?? 0]?.slice;
    if (!slice) throw new SlicetuneError('BAD_OPTION', `no measurement server ${server ?? 0}`);
    return slice;
  }

  /** prepare + run. */
  async measure(
    inputs: readonly MeasureInput[],
    options: MeasureOptions,
    server?: number,
  ): Promise<MeasuredItem[]> {
    return this.run(await this.prepare(inputs), options, server);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.builder.close()]);
    if (this.mps) await stopMpsDaemon(this.mps);
  }
}

function binaryKey(binary: KernelBinary, mechanism: SliceMechanism, sms: number): string {
  return `${binary.hash}@${mechanism}:${sms}`;
}
