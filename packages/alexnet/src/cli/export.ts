/**
 * `alexnet export`: a checkpoint as an ONNX model (for onnxruntime, or any ONNX runtime), built
 * from the checkpoint's config and weights by `exportOnnx`.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeConfig } from '../config.js';
import { selectDevices } from '../devices.js';
import {
  exportOnnx,
  ONNX_DEFAULT_OPSET,
  ONNX_INPUT,
  ONNX_LOGITS,
  ONNX_MAX_OPSET,
  ONNX_MIN_OPSET,
  ONNX_PROBS,
} from '../interop/onnx.js';
import { loadAlexNet } from '../train/model-file.js';
import { intValue, parseOptions, UsageError } from './args.js';
import type { Command, Io } from './command.js';

const NAME = 'alexnet export';

const HELP = `Usage: alexnet export --checkpoint <path> --onnx <file.onnx> [options]

Writes a trained network as an ONNX model, built from the checkpoint's config and weights:
input '${ONNX_INPUT}' [N, 3, H, W] (float32 NCHW, the images prepared as for training; N is dynamic),
outputs '${ONNX_LOGITS}' (fc8) and '${ONNX_PROBS}' (softmax) [N, classes]. The two towers' conv2/conv4/conv5
are Conv with group = 2; LRN is converted to ONNX's convention (α divided by the window size: the
paper's α = 1e-4 is written as 5e-4, bias = k = 2), and with two towers runs on each tower's half of
the channels (Split, LRN, Concat) so its window never crosses the towers; dropout is left out (it is
the identity at inference). The class names and the config are stored in the model's metadata.

Options:
  --checkpoint <path>      a run folder, a checkpoint folder or a model.safetensors   (required)
  --onnx <file>            the ONNX file to write                                    (required)
  --opset <n>              ONNX opset, ${ONNX_MIN_OPSET}–${ONNX_MAX_OPSET}                                       [${ONNX_DEFAULT_OPSET}]
  --json                   print JSON
  -h, --help               show this help

Example:
  alexnet export --checkpoint runs/shapes --onnx shapes.onnx
  python -c "import onnxruntime as ort; print(ort.InferenceSession('shapes.onnx').get_outputs()[1].name)"`;

const OPTIONS = {
  checkpoint: { type: 'string' },
  onnx: { type: 'string' },
  opset: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Writes `bytes` to a temporary file next to `path`, then renames it into place. */
export function writeBytesAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a checkpoint as an ONNX model (onnxruntime, …)',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(NAME, args, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    if (!v.checkpoint) throw new UsageError(`${NAME}: --checkpoint is required (see '${NAME} --help')`);
    if (!v.onnx) throw new UsageError(`${NAME}: --onnx <file.onnx> is required (see '${NAME} --help')`);
    const opset = intValue(NAME, 'opset', v.opset) ?? ONNX_DEFAULT_OPSET;
    if (opset < ONNX_MIN_OPSET || opset > ONNX_MAX_OPSET) {
      throw new UsageError(
        `${NAME}: --opset must be from ${ONNX_MIN_OPSET} to ${ONNX_MAX_OPSET}, got ${opset}`,
      );
    }
    const out = resolve(v.onnx);
    // the weights only pass through the device: the reference backend needs nothing installed
    const { devices } = await selectDevices('ref:0', { log: false });
    const model = loadAlexNet(resolve(v.checkpoint), devices[0]!);
    let bytes: Uint8Array;
    try {
      bytes = await exportOnnx(model, { opset });
    } finally {
      model.net.dispose();
    }
    writeBytesAtomic(out, bytes);
    const c = model.config;
    if (v.json) {
      const result = {
        checkpoint: model.path,
        onnx: out,
        bytes: bytes.length,
        opset,
        config: c,
        classes: model.classes,
        input: { name: ONNX_INPUT, shape: ['N', 3, c.input, c.input] },
        outputs: [
          { name: ONNX_LOGITS, shape: ['N', c.classes] },
          { name: ONNX_PROBS, shape: ['N', c.classes] },
        ],
      };
      io.out(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    }
    io.out(
      `wrote ${out} (${(bytes.length / 2 ** 20).toFixed(1)} MiB, ONNX opset ${opset})\n` +
        `  model:   AlexNet: ${describeConfig(c)}\n` +
        `  input:   ${ONNX_INPUT} [N, 3, ${c.input}, ${c.input}] float32 NCHW\n` +
        `  outputs: ${ONNX_LOGITS}, ${ONNX_PROBS} [N, ${c.classes}]\n`,
    );
    return 0;
  },
};
