/**
 * The demo's static server (node:http): the built page, the checkpoint's model.safetensors, and —
 * for a model trained on an ImageNet-style cache — the cache's mean image, which the page needs to
 * prepare images exactly as `alexnet predict` does (the built-in data's mean the page measures
 * itself). COOP/COEP headers make the page cross-origin isolated, so gpu.js's threaded webasm path
 * (SharedArrayBuffer) could run there too.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { dataSpecOf, readSafetensors, resolveAlexNetConfig, resolveCheckpoint } from 'alexnet';

export interface DemoServerOptions {
  /** The built page (dist/page). */
  root: string;
  /** A run folder, a checkpoint folder or a model.safetensors; without it the page asks for a file. */
  checkpoint?: string;
  /**
   * Where the cache of a model trained on one is (default: the path in its metadata, relative to
   * `cwd` — as `alexnet predict` run from there would find it).
   */
  data?: string;
  cwd?: string;
  /** 0: any free port. */
  port?: number;
  host?: string;
}

export interface DemoServer {
  url: string;
  /** The model file served, if any. */
  model: string | undefined;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

/** What the page needs besides the model to prepare images: nothing (built-in data) or a cache's mean. */
interface Preprocess {
  json: string;
  mean?: Buffer;
}

async function preprocessOf(model: string, data: string | undefined, cwd: string): Promise<Preprocess> {
  const { metadata } = readSafetensors(model, () => false);
  const saved = dataSpecOf(metadata);
  if (!saved || saved.spec === 'builtin') return { json: JSON.stringify({ data: 'builtin' }) };
  const config = resolveAlexNetConfig(JSON.parse(metadata.config ?? 'null'));
  // the loader's own statistics (measured once when the cache was prepared), not a recomputation
  const dir = resolve(cwd, data ?? saved.spec);
  if (!existsSync(dir))
    throw new Error(
      `${model} was trained on the cache ${saved.spec}, not found at ${dir}: the page needs its mean image (give the cache's folder with --data)`,
    );
  const { openImageNetCache } = await import('@alexnet/imagenet');
  const source = await openImageNetCache(dir, { crop: config.input, workers: 0 });
  try {
    const mean = source.stats!.meanImage;
    return {
      json: JSON.stringify({ data: saved.spec, sourceSize: source.sourceSize, mean: '/mean.f32' }),
      mean: Buffer.from(mean.data.buffer, mean.data.byteOffset, mean.data.byteLength),
    };
  } finally {
    await source.close();
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const root = resolve(options.root);
  if (!existsSync(join(root, 'index.html')))
    throw new Error(
      `${root}/index.html is missing: build the demo first (pnpm --filter @alexnet/example-browser build)`,
    );
  const model = options.checkpoint ? resolveCheckpoint(resolve(options.checkpoint)) : undefined;
  const preprocess = model
    ? await preprocessOf(model, options.data, options.cwd ?? process.cwd())
    : undefined;
  const server = createServer((req, res) => {
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-embedder-policy', 'require-corp');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    res.setHeader('cache-control', 'no-store');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'text/plain', 'bad URL\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
    if (path === '/model.safetensors') {
      if (!model) return send(res, 404, 'text/plain', 'no checkpoint given to the server\n');
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': statSync(model).size,
      });
      createReadStream(model).pipe(res);
      return;
    }
    if (path === '/preprocess.json') {
      if (!preprocess) return send(res, 404, 'text/plain', 'no checkpoint given to the server\n');
      return send(res, 200, TYPES['.json']!, preprocess.json);
    }
    if (path === '/mean.f32' && preprocess?.mean) {
      return send(res, 200, 'application/octet-stream', preprocess.mean);
    }
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile())
      return send(res, 404, 'text/plain', `not found: ${path}\n`);
    send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    model,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
