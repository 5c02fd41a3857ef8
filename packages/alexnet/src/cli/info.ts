/**
 * `alexnet info`: the network a config describes — every layer with its output shape, parameters
 * and multiply-adds, the totals, FLOPs per image (forward and per training step), and the device
 * 'auto' would pick.
 */
import { ArgumentError } from '@alexnet/tensor';
import {
  ACTIVATIONS,
  type AlexNetConfig,
  type AlexNetConfigInput,
  describeConfig,
  LRN_MODES,
  resolveAlexNetConfig,
} from '../config.js';
import { selectDevices } from '../devices.js';
import { type AlexNetSummary, alexnetSummary, paperShape } from '../summary.js';
import { choiceValue, intValue, numberValue, type OptionValues, parseOptions, UsageError } from './args.js';
import type { Command, Io } from './command.js';
import { grouped, si, table } from './format.js';

const NAME = 'alexnet info';

const HELP = `Usage: alexnet info [options]

Prints AlexNet's layers (output shape, parameters, multiply-adds), the totals, the FLOPs per image
for a forward pass and a training step, and the device 'auto' would pick. Defaults are the paper's.

Options:
  --input <n>            input height = width: 224 (paper, conv1 pad 2) or 227 (Caffe, pad 0)   [224]
  --conv1-pad <n>        conv1's zero padding                          [2, or 0 when --input 227]
  --towers <1|2>         the paper's two towers, or one fully connected tower                  [2]
  --classes <n>          output classes                                                      [1000]
  --activation <name>    relu or tanh                                                        [relu]
  --pool <z/s>           max pooling window/stride: 3/2 overlapping, 2/2 the ablation         [3/2]
  --lrn <mode>           tower (within each tower, paper) or caffe (across all channels)    [tower]
  --no-lrn               no local response normalisation
  --dropout <p>          dropout probability of fc6 and fc7                                   [0.5]
  --json                 print JSON instead of a table
  -h, --help             show this help

Examples:
  alexnet info
  alexnet info --input 227 --json
  alexnet info --towers 1 --activation tanh --pool 2/2 --no-lrn --classes 10`;

/** The flags that describe the network (every command that builds one takes them; `train` gets the classes from the data). */
export const NETWORK_OPTIONS = {
  input: { type: 'string' },
  'conv1-pad': { type: 'string' },
  towers: { type: 'string' },
  activation: { type: 'string' },
  pool: { type: 'string' },
  lrn: { type: 'string' },
  'no-lrn': { type: 'boolean' },
  dropout: { type: 'string' },
} as const;

const OPTIONS = {
  ...NETWORK_OPTIONS,
  classes: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = OptionValues<typeof OPTIONS>;

/** The config the flags describe (unset flags keep the paper's values). */
export function configFromFlags(command: string, v: Values): AlexNetConfigInput {
  const config: AlexNetConfigInput = {};
  const input = intValue(command, 'input', v.input);
  if (input !== undefined) config.input = input;
  const pad = intValue(command, 'conv1-pad', v['conv1-pad']);
  if (pad !== undefined) config.conv1Pad = pad;
  const towers = intValue(command, 'towers', v.towers);
  if (towers !== undefined) config.towers = towers as 1 | 2;
  const classes = intValue(command, 'classes', v.classes);
  if (classes !== undefined) config.classes = classes;
  const activation = choiceValue(command, 'activation', v.activation, ACTIVATIONS);
  if (activation) config.activation = activation;
  if (v.pool !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(v.pool.trim());
    if (!m)
      throw new UsageError(`${command}: --pool must be window/stride such as 3/2 or 2/2, got '${v.pool}'`);
    config.pooling = { size: Number(m[1]), stride: Number(m[2]) };
  }
  const mode = choiceValue(command, 'lrn', v.lrn, LRN_MODES);
  if (v['no-lrn'] && mode)
    throw new UsageError(`${command}: --no-lrn and --lrn ${mode} contradict each other`);
  if (v['no-lrn']) config.lrn = false;
  else if (mode) config.lrn = mode;
  const dropout = numberValue(command, 'dropout', v.dropout);
  if (dropout !== undefined) config.dropout = dropout;
  return config;
}

/** The JSON `alexnet info --json` prints. */
export function infoJson(summary: AlexNetSummary, device: { name: string | null; reason: string }) {
  const t = summary.totals;
  return {
    config: summary.config,
    layers: summary.layers.map((l) => ({
      name: l.name,
      kind: l.kind,
      output: paperShape(l.shape),
      shape: l.shape,
      params: l.params,
      multiplyAdds: l.multiplyAdds,
      reads: l.reads,
      description: l.description,
    })),
    totals: {
      params: t.params,
      multiplyAdds: t.multiplyAdds,
      forwardFlops: t.forwardFlops,
      trainingFlops: t.trainingFlops,
      trainingStepFlops: t.trainingStepFlops,
    },
    device: { auto: device.name, reason: device.reason },
  };
}

export function infoText(summary: AlexNetSummary, device: { name: string | null; reason: string }): string {
  const t = summary.totals;
  const rows = summary.layers.map((l) => [
    l.name,
    paperShape(l.shape),
    l.params ? grouped(l.params) : '—',
    l.multiplyAdds ? grouped(l.multiplyAdds) : '—',
    l.description,
  ]);
  rows.push(['total', '', grouped(t.params), grouped(t.multiplyAdds), '']);
  const layerTable = table(['layer', 'output (H×W×C)', 'parameters', 'multiply-adds', ''], rows, [
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
  return [
    `AlexNet: ${describeConfig(summary.config)}`,
    '',
    layerTable,
    '',
    `parameters:     ${grouped(t.params)}`,
    `forward:        ${si(t.forwardFlops)}FLOP per image (${si(t.multiplyAdds, 1)} multiply-adds × 2)`,
    `training step:  ${si(t.trainingFlops)}FLOP per image (3× forward; ${si(t.trainingStepFlops)}FLOP without conv1's unneeded input gradient)`,
    `device 'auto':  ${device.reason}`,
  ].join('\n');
}

async function autoDevice(): Promise<{ name: string | null; reason: string }> {
  try {
    const { devices, reason } = await selectDevices('auto', { log: false });
    return { name: devices[0]!.name, reason };
  } catch (error) {
    return { name: null, reason: `no device: ${(error as Error).message}` };
  }
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'layers, shapes, parameters and FLOPs per image of a configuration',
  help: HELP,
  async run(args: readonly string[], io: Io): Promise<number> {
    const v = parseOptions(NAME, args, OPTIONS);
    if (v.help) {
      io.out(`${HELP}\n`);
      return 0;
    }
    let config: AlexNetConfig;
    try {
      config = resolveAlexNetConfig(configFromFlags(NAME, v));
    } catch (error) {
      if (error instanceof ArgumentError) throw new UsageError(`${NAME}: ${error.message}`);
      throw error;
    }
    const summary = alexnetSummary(config);
    const device = await autoDevice();
    io.out(`${v.json ? JSON.stringify(infoJson(summary, device), null, 2) : infoText(summary, device)}\n`);
    return 0;
  },
};
