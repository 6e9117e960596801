export { freePort } from '../../src/core/freePort';
