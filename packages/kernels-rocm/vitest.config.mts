import { packageTestConfig } from '../../vitest.base';

export default packageTestConfig('@sscan/kernels-rocm');
