/** Numbers the tests check (DESIGN §3); not exported by the package. */

/** DESIGN §3: each weight layer's parameters. */
export const PAPER_PARAMS: Readonly<Record<string, number>> = {
  conv1: 34_944,
  conv2: 307_456,
  conv3: 885_120,
  conv4: 663_936,
  conv5: 442_624,
  fc6: 37_752_832,
  fc7: 16_781_312,
  fc8: 4_097_000,
};

/** The paper's output shapes (height × width × channels). */
export const PAPER_SHAPES: Readonly<Record<string, string>> = {
  conv1: '55×55×96',
  pool1: '27×27×96',
  conv2: '27×27×256',
  pool2: '13×13×256',
  conv3: '13×13×384',
  conv4: '13×13×384',
  conv5: '13×13×256',
  pool5: '6×6×256',
  fc6: '4096',
  fc7: '4096',
  fc8: '1000',
};
