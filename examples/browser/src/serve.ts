/**
 * `pnpm --filter @alexnet/example-browser start [--checkpoint <path>] [--data <cache>] [--port <n>]
 * [--host <h>]`: serves the built demo and a checkpoint (default: the quick start's runs/quickstart)
 * and prints the URL. --data: the cache a model was trained on, when not where its metadata says.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDemoServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
// `pnpm start -- --port 1` passes the `--` on: drop it
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    checkpoint: { type: 'string' },
    data: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
  },
});
// paths on the command line are relative to where pnpm was started (INIT_CWD), not this package
const base = process.env.INIT_CWD ?? process.cwd();
const fallback = join(repo, 'runs/quickstart');
const checkpoint = values.checkpoint ? resolve(base, values.checkpoint) : fallback;
if (!existsSync(checkpoint)) {
  console.warn(
    `no checkpoint at ${checkpoint}: train one (npx -y pnpm@10.34.9 start writes runs/quickstart) or pass --checkpoint; the page will ask for a model.safetensors`,
  );
}
const server = await startDemoServer({
  root: join(here, 'page'),
  checkpoint: existsSync(checkpoint) ? checkpoint : undefined,
  data: values.data,
  cwd: base,
  port: Number(values.port ?? 8080),
  host: values.host ?? '127.0.0.1',
});
console.log(`AlexNet browser demo: ${server.url}${server.model ? `  (model: ${server.model})` : ''}`);
console.log('open it in Chrome/Edge (WebGL2 or WebGPU); Ctrl-C stops the server');
