/**
 * alexnet tiny-cnn example: trains a small AlexNet-style CNN on the built-in synthetic dataset with the raw
 * `@alexnet/tensor` kernels and reports honest progress. Run `node dist/main.js --help`.
 */
import { run } from './cli.js';

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`tiny-cnn: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
