/**
 * The selective-scan conformance suite on the TypeScript CPU backend, checked against the
 * float64 oracle (see conformance/selectiveScan.suite.ts). Pairwise grid; sequences longer
 * than 512 use batch 1 and dim 4. The backward runs at every seqlen: with those sizes the
 * whole file takes ~20 s on two cores, well inside the two-minute budget.
 */
import { describeSelectiveScanConformance } from './conformance/selectiveScan.suite';

describeSelectiveScanConformance('cpu', { maxBackwardSeqlen: Number.POSITIVE_INFINITY });
