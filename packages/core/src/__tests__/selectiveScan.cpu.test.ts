/**
 * The selective-scan conformance suite on the TypeScript CPU backend, checked against the
 * float64 oracle (see conformance/selectiveScan.suite.ts). Pairwise grid, long seqlens
 * forward only, sized to run in about a minute on two cores.
 */
import { describeSelectiveScanConformance } from './conformance/selectiveScan.suite';

describeSelectiveScanConformance('cpu');
