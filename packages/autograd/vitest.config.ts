import { packageTestConfig } from '../../vitest.base';

export default packageTestConfig('@sscan/autograd');
