import { packageConfig } from '../../tsup.base';

// bin.ts is the `sscan` executable (tsup keeps its shebang and marks it executable);
// shims give the CJS build an import.meta.url for versions.ts.
export default packageConfig({ entry: ['src/index.ts', 'src/bin.ts'], shims: true });
