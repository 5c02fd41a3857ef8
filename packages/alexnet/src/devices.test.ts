import { DeviceError } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { selectDevices } from './devices.js';

describe('selectDevices', () => {
  it('resolves names, a comma list for the two towers, and auto with its reason', async () => {
    const two = await selectDevices('ref:0, ref:1');
    expect(two.devices.map((d) => d.name)).toEqual(['ref:0', 'ref:1']);
    expect((await selectDevices(['ref:1'])).devices[0]).toBe(two.devices[1]);
    const auto = await selectDevices('auto', { log: false });
    expect(auto.devices).toHaveLength(1);
    // @alexnet/native is registered by this package, whatever the application can resolve
    expect(auto.reason).toMatch(/^auto picked .*/);
    expect(auto.reason).not.toMatch(/@alexnet\/native is not installed/);
  });

  it('names an unknown device kind', async () => {
    await expect(selectDevices('tpu:0')).rejects.toThrow(DeviceError);
    await expect(selectDevices('tpu:0')).rejects.toThrow(/unknown device kind 'tpu'/);
  });
});
