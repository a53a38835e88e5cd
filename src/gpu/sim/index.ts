/** The simulated GPU: an analytical model of an H100-like device (documented in model.ts). */
export { createSimBackend } from './backend.js';
export { createSimCompiler } from './compiler.js';
export { grantedSms, SIM_DEVICE_INFO, simulateKernelTime } from './model.js';
