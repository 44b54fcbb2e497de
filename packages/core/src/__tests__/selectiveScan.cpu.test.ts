/**
 * The selective-scan conformance suite on the TypeScript CPU backend, checked against the
 * float64 oracle (see conformance/selectiveScan.suite.ts). Pairwise grid; sequences longer
 * than 512 use batch 1 and dim 4. The backward runs at every seqlen: with those sizes the
 * whole file takes ~20 s on two cores, well inside the two-minute budget.
 *
 * The CPU buffer cache is on (as in `sscan train`) so outputs land in reused, NaN-poisoned
 * buffers: a kernel that skips an element or adds into its output instead of overwriting it
 * fails here, which fresh zero-filled buffers would hide.
 */
import { setCpuStorageCache } from '../index';
import { describeSelectiveScanConformance } from './conformance/selectiveScan.suite';

setCpuStorageCache(256 * 2 ** 20);

describeSelectiveScanConformance('cpu', {
  maxBackwardSeqlen: Number.POSITIVE_INFINITY,
  allocatorReusesBlocks: true,
});
