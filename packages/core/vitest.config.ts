import { packageTestConfig } from '../../vitest.base';

export default packageTestConfig('@sscan/core');
