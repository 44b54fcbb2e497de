// One model op at a time on cuda, each announced before it runs: when the process dies (a
// native crash), the last line printed names the op. Run under cuda-gdb for a backtrace:
//   cuda-gdb -batch -ex run -ex bt --args node tools/device/ops_probe.cjs
const core = require('../../packages/core/dist/index.cjs');
const dev = process.env.PROBE_DEVICE ?? 'cuda';
const rnd = (shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return core.tensor(
    Float32Array.from({ length: n }, () => Math.random() - 0.5),
    shape,
    { device: dev },
  );
};
const steps = [
  ['tensor+toArray', () => rnd([3, 4])],
  ['add', () => core.add(rnd([3, 4]), rnd([3, 4]))],
  ['add broadcast', () => core.add(rnd([3, 4]), rnd([1, 4]))],
  ['exp', () => core.exp(rnd([5]))],
  ['sum', () => core.sum(rnd([3, 4]), [1])],
  [
    'transpose',
    () =>
      core.contiguous
        ? core.contiguous(core.transpose(rnd([3, 4]), 0, 1))
        : core.transpose(rnd([3, 4]), 0, 1),
  ],
  ['matmul', () => core.matmul(rnd([3, 4]), rnd([4, 5]))],
];
(async () => {
  for (const [name, fn] of steps) {
    process.stdout.write(`op ${name} ... `);
    const r = fn();
    if (r && typeof r.toArray === 'function') await r.toArray();
    console.log('ok');
  }
})().catch((e) => {
  console.log('threw:', e);
  process.exit(1);
});
