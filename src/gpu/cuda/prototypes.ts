/**
 * C prototypes of the CUDA driver functions slicetune calls, checked against cuda.h of CUDA 13.0
 * (valid since 12.4 for the green-context calls). Where cuda.h #defines a name to a versioned
 * symbol (cuMemAlloc -> cuMemAlloc_v2), the versioned symbol is bound directly. Raw byte outputs
 * are declared `void *` where C says `char *`, because koffi turns `char *` into JS strings.
 */
import koffi from 'koffi';

let registered = false;

/** Registers the driver's type names with koffi (once per process: koffi rejects duplicates). */
export function registerDriverTypes(): void {
  if (registered) return;
  registered = true;
  koffi.alias('CUresult', 'int');
  koffi.alias('CUdevice', 'int');
  koffi.alias('CUdeviceptr', 'unsigned long long');
  const handles = [
    'CUcontext',
    'CUmodule',
    'CUfunction',
    'CUstream',
    'CUevent',
    'CUgreenCtx',
    'CUgraph',
    'CUgraphExec',
  ];
  for (const handle of handles) {
    koffi.alias(handle, 'void *');
  }
  koffi.alias('CUdevResourceDesc', 'void *');
  for (const enumName of [
    'CUdevice_attribute',
    'CUfunction_attribute',
    'CUdevResourceType',
    'CUstreamCaptureMode',
  ]) {
    koffi.alias(enumName, 'int');
  }
  // 144 bytes in CUDA 12.4..13.0; always passed as a Buffer of CU_DEV_RESOURCE_BYTES.
  koffi.opaque('CUdevResource');
}

/** Functions every supported driver has. */
export const CORE_PROTOTYPES = {
  cuInit: 'CUresult cuInit(unsigned int Flags)',
  cuDriverGetVersion: 'CUresult cuDriverGetVersion(int *driverVersion)',
  cuGetErrorName: 'CUresult cuGetErrorName(CUresult error, _Out_ const char **pStr)',
  cuGetErrorString: 'CUresult cuGetErrorString(CUresult error, _Out_ const char **pStr)',
  cuDeviceGetCount: 'CUresult cuDeviceGetCount(int *count)',
  cuDeviceGet: 'CUresult cuDeviceGet(CUdevice *device, int ordinal)',
  cuDeviceGetName: 'CUresult cuDeviceGetName(void *name, int len, CUdevice dev)',
  cuDeviceGetAttribute: 'CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)',
  cuDeviceTotalMem_v2: 'CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)',
  cuDevicePrimaryCtxRetain: 'CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)',
  cuDevicePrimaryCtxRelease_v2: 'CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)',
  cuCtxSetCurrent: 'CUresult cuCtxSetCurrent(CUcontext ctx)',
  cuModuleLoadData: 'CUresult cuModuleLoadData(CUmodule *module, const void *image)',
  cuModuleGetFunction: 'CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)',
  cuModuleUnload: 'CUresult cuModuleUnload(CUmodule hmod)',
  cuFuncGetAttribute: 'CUresult cuFuncGetAttribute(int *pi, CUfunction_attribute attrib, CUfunction hfunc)',
  cuFuncSetAttribute: 'CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value)',
  cuLaunchKernel:
    'CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, ' +
    'unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, ' +
    'CUstream hStream, void **kernelParams, void **extra)',
  cuStreamCreate: 'CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags)',
  cuStreamDestroy_v2: 'CUresult cuStreamDestroy_v2(CUstream hStream)',
  cuStreamSynchronize: 'CUresult cuStreamSynchronize(CUstream hStream)',
  cuEventCreate: 'CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags)',
  cuEventDestroy_v2: 'CUresult cuEventDestroy_v2(CUevent hEvent)',
  cuEventRecord: 'CUresult cuEventRecord(CUevent hEvent, CUstream hStream)',
  cuEventQuery: 'CUresult cuEventQuery(CUevent hEvent)',
  cuMemAlloc_v2: 'CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)',
  cuMemFree_v2: 'CUresult cuMemFree_v2(CUdeviceptr dptr)',
  cuMemcpyHtoDAsync_v2:
    'CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream)',
  cuMemcpyDtoHAsync_v2:
    'CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)',
  cuMemsetD8Async:
    'CUresult cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N, CUstream hStream)',
  cuMemGetInfo_v2: 'CUresult cuMemGetInfo_v2(size_t *free, size_t *total)',
} as const;

/** cuEventElapsedTime_v2 arrived in 12.8; older drivers only have the unversioned symbol. */
export const ELAPSED_TIME_PROTOTYPES = [
  'CUresult cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd)',
  'CUresult cuEventElapsedTime(float *pMilliseconds, CUevent hStart, CUevent hEnd)',
] as const;

/** Green contexts (CUDA >= 12.4). Missing on older drivers: green slices are then unavailable. */
export const GREEN_PROTOTYPES = {
  cuDeviceGetDevResource:
    'CUresult cuDeviceGetDevResource(CUdevice device, CUdevResource *resource, CUdevResourceType type)',
  cuDevSmResourceSplitByCount:
    'CUresult cuDevSmResourceSplitByCount(CUdevResource *result, unsigned int *nbGroups, ' +
    'const CUdevResource *input, CUdevResource *remaining, unsigned int useFlags, unsigned int minCount)',
  cuDevResourceGenerateDesc:
    'CUresult cuDevResourceGenerateDesc(CUdevResourceDesc *phDesc, CUdevResource *resources, unsigned int nbResources)',
  cuGreenCtxCreate:
    'CUresult cuGreenCtxCreate(CUgreenCtx *phCtx, CUdevResourceDesc desc, CUdevice dev, unsigned int flags)',
  cuGreenCtxDestroy: 'CUresult cuGreenCtxDestroy(CUgreenCtx hCtx)',
  cuCtxFromGreenCtx: 'CUresult cuCtxFromGreenCtx(CUcontext *pContext, CUgreenCtx hCtx)',
  cuGreenCtxGetDevResource:
    'CUresult cuGreenCtxGetDevResource(CUgreenCtx hCtx, CUdevResource *resource, CUdevResourceType type)',
  cuGreenCtxStreamCreate:
    'CUresult cuGreenCtxStreamCreate(CUstream *phStream, CUgreenCtx greenCtx, unsigned int flags, int priority)',
} as const;

/**
 * CUDA graphs by stream capture (CUDA >= 11.4 for cuGraphInstantiateWithFlags). cuda.h #defines
 * cuStreamBeginCapture to cuStreamBeginCapture_v2; the others are unversioned in 12.x and 13.0.
 */
export const GRAPH_PROTOTYPES = {
  cuStreamBeginCapture_v2: 'CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode)',
  cuStreamEndCapture: 'CUresult cuStreamEndCapture(CUstream hStream, CUgraph *phGraph)',
  cuGraphInstantiateWithFlags:
    'CUresult cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph, unsigned long long flags)',
  cuGraphLaunch: 'CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream)',
  cuGraphExecDestroy: 'CUresult cuGraphExecDestroy(CUgraphExec hGraphExec)',
  cuGraphDestroy: 'CUresult cuGraphDestroy(CUgraph hGraph)',
} as const;

/**
 * CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: only this thread's unsafe calls (a cuMemAlloc during the
 * capture) are refused; other threads of the process (compile workers) are left alone.
 */
export const CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;

/** sizeof(CUdevResource) in CUDA 12.4..13.0: type (4) + padding (92) + union of 48 bytes. */
export const CU_DEV_RESOURCE_BYTES = 144;
/** Offset of `sm.smCount` inside CUdevResource. */
export const CU_DEV_RESOURCE_SM_COUNT_OFFSET = 96;
export const CU_DEV_RESOURCE_TYPE_SM = 1;
export const CU_GREEN_CTX_DEFAULT_STREAM = 0x1;
export const CU_STREAM_NON_BLOCKING = 0x1;
export const CU_EVENT_DEFAULT = 0x0;

/** CUdevice_attribute values (cuda.h). */
export const DeviceAttr = {
  MAX_THREADS_PER_BLOCK: 1,
  MAX_SHARED_MEMORY_PER_BLOCK: 8,
  WARP_SIZE: 10,
  MAX_REGISTERS_PER_BLOCK: 12,
  CLOCK_RATE: 13,
  MULTIPROCESSOR_COUNT: 16,
  MEMORY_CLOCK_RATE: 36,
  GLOBAL_MEMORY_BUS_WIDTH: 37,
  L2_CACHE_SIZE: 38,
  MAX_THREADS_PER_MULTIPROCESSOR: 39,
  COMPUTE_CAPABILITY_MAJOR: 75,
  COMPUTE_CAPABILITY_MINOR: 76,
  MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: 81,
  MAX_REGISTERS_PER_MULTIPROCESSOR: 82,
  MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: 97,
  MAX_BLOCKS_PER_MULTIPROCESSOR: 106,
} as const;

/** CUfunction_attribute values (cuda.h). */
export const FuncAttr = {
  MAX_THREADS_PER_BLOCK: 0,
  SHARED_SIZE_BYTES: 1,
  NUM_REGS: 4,
  MAX_DYNAMIC_SHARED_SIZE_BYTES: 8,
} as const;
