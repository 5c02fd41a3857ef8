import { describe, expect, it } from 'vitest';
import { probeDriver } from './context.js';
import { LIBRARY_ENV, loadDriver } from './library.js';

// A path that cannot exist, so this runs the same with or without an NVIDIA driver installed.
process.env[LIBRARY_ENV] = '/nonexistent/alexnet-test/libcuda.so.1';

describe('driver loading', () => {
  it('reports a missing driver clearly instead of throwing', () => {
    const d = loadDriver();
    expect(typeof d).toBe('string');
    expect(d).toMatch(
      /^no NVIDIA driver \(libcuda\.so\.1\) found \(\/nonexistent\/alexnet-test\/libcuda\.so\.1: /,
    );
    const p = probeDriver();
    expect(typeof p).toBe('string');
    expect(p).toMatch(/@alexnet\/cuda is unavailable: no NVIDIA driver \(libcuda\.so\.1\) found/);
  });
});
