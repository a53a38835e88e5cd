import { describe, expect, it } from 'vitest';
import { machineCpuTicks, procStatFields } from '../../src/util/proc.js';

describe.runIf(process.platform === 'linux')('/proc readers', () => {
  it("reads this process's stat fields past a command name, numbered as in proc(5)", () => {
    const fields = procStatFields('/proc/self/stat');
    expect(fields?.[0]).toMatch(/^[RSDTtZXIWP]$/); // field 3: state
    expect(Number(fields?.[1])).toBe(process.ppid); // field 4: ppid
  });

  it('sums the machine CPU ticks by kind, and they only grow', () => {
    const a = machineCpuTicks();
    expect(a && a.busy + a.idle).toBeGreaterThan(0);
    const b = machineCpuTicks();
    expect(b?.busy).toBeGreaterThanOrEqual(a?.busy ?? Infinity);
    expect(b?.steal).toBeGreaterThanOrEqual(a?.steal ?? Infinity);
  });

  it('answers undefined for a file that is not there', () => {
    expect(procStatFields('/proc/self/task/0/stat')).toBeUndefined();
  });
});
