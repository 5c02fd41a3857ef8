// Child process of kill.test.ts: trains a small net with a checkpoint after every step, from the
// built package (dist/), so the test can SIGKILL it at any moment — often mid-write. Arguments:
// <runDir> <resume: 0|1> <epochs>. Prints nothing; the run folder is the result.
import { ConstantSchedule, initParams, Net } from '@alexnet/layers';
import { Device, ReferenceBackend } from '@alexnet/tensor';
import { builtinShapes, train } from '../../dist/index.js';

const [runDir, resume, epochs] = process.argv.slice(2);
const device = new Device(new ReferenceBackend());
const net = new Net({
  device,
  seed: 7,
  inputs: { data: [3, 16, 16], labels: [] },
  nodes: [
    { name: 'conv1', layer: { type: 'conv2d', outChannels: 8, kernel: 3, pad: 1 }, inputs: ['data'] },
    { name: 'relu1', layer: { type: 'relu' }, inputs: ['conv1'] },
    { name: 'pool1', layer: { type: 'maxPool', size: 2, stride: 2 }, inputs: ['relu1'] },
    { name: 'drop', layer: { type: 'dropout', p: 0.5 }, inputs: ['pool1'] },
    // a wide layer so that a checkpoint (weights + momentum, ~9 MB) takes a while to write
    { name: 'fc7', layer: { type: 'linear', outFeatures: 2048 }, inputs: ['drop'] },
    { name: 'fc8', layer: { type: 'linear', outFeatures: 10 }, inputs: ['fc7'] },
    { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc8', 'labels'] },
  ],
});
initParams(net.params(), { rng: 3, weightStd: 0.05 });
await train({
  net,
  data: builtinShapes({ input: 16, trainSize: 64, valSize: 8, scale: 1 / 64 }),
  runDir,
  schedule: new ConstantSchedule(0.01),
  epochs: Number(epochs),
  batchSize: 8,
  logEvery: 1,
  checkpointEvery: 1,
  resume: resume === '1',
});
