H=/usr/local/cuda/include/cuda.h
N=/usr/local/cuda/include/nvrtc.h
ls -la /usr/local/cuda/include/cuda.h $N
for f in cuInit cuDriverGetVersion cuDeviceGet cuDeviceGetCount cuDeviceGetName cuDeviceTotalMem cuDeviceGetAttribute cuDevicePrimaryCtxRetain cuDevicePrimaryCtxRelease cuCtxSetCurrent cuCtxSynchronize cuModuleLoadData cuModuleGetFunction cuModuleUnload cuFuncGetAttribute cuFuncSetAttribute cuLaunchKernel cuStreamCreate cuStreamDestroy cuStreamSynchronize cuEventCreate cuEventDestroy cuEventRecord cuEventQuery cuEventSynchronize cuEventElapsedTime cuMemAlloc cuMemFree cuMemcpyHtoD cuMemcpyDtoH cuMemcpyHtoDAsync cuMemcpyDtoHAsync cuMemsetD8 cuMemsetD8Async cuMemGetInfo cuGetErrorName cuGetErrorString cuDeviceGetDevResource cuDevSmResourceSplitByCount cuDevResourceGenerateDesc cuGreenCtxCreate cuGreenCtxDestroy cuCtxFromGreenCtx cuGreenCtxStreamCreate cuGreenCtxGetDevResource; do
  echo "== $f"; grep -n -E "^CUresult CUDAAPI ${f}(_v[0-9])?\(" $H | head -4
  grep -n -A3 -E "^CUresult CUDAAPI ${f}(_v[0-9])?\(" $H | grep -v "^--" | head -8
  grep -n -E "#define ${f}[ (]" $H | head -3
done
echo "== structs"
grep -n -B2 -A40 "typedef struct CUdevSmResource_st" $H | head -120
grep -n -E "RESOURCE_ABI|CU_DEV_RESOURCE_TYPE|CU_GREEN_CTX_DEFAULT_STREAM|CU_DEV_SM_RESOURCE_SPLIT|CU_STREAM_NON_BLOCKING|CU_EVENT_DEFAULT|CU_EVENT_DISABLE_TIMING|CU_EVENT_BLOCKING" $H
echo "== device attrs"
grep -n -E "CU_DEVICE_ATTRIBUTE_(MAX_THREADS_PER_BLOCK|MAX_SHARED_MEMORY_PER_BLOCK|WARP_SIZE|MAX_REGISTERS_PER_BLOCK|CLOCK_RATE|MULTIPROCESSOR_COUNT|MEMORY_CLOCK_RATE|GLOBAL_MEMORY_BUS_WIDTH|L2_CACHE_SIZE|MAX_THREADS_PER_MULTIPROCESSOR|COMPUTE_CAPABILITY_MAJOR|COMPUTE_CAPABILITY_MINOR|MAX_SHARED_MEMORY_PER_MULTIPROCESSOR|MAX_REGISTERS_PER_MULTIPROCESSOR|MAX_SHARED_MEMORY_PER_BLOCK_OPTIN|MAX_BLOCKS_PER_MULTIPROCESSOR) " $H
echo "== func attrs"
grep -n -E "CU_FUNC_ATTRIBUTE_[A-Z_]+ *= *[0-9]" $H
echo "== CUresult"
sed -n '/^typedef enum cudaError_enum/,/} CUresult;/p' $H | grep -E "^\s+CUDA_[A-Z_]+ *= *[0-9]+" | tr -s ' '
echo "== nvrtc"
grep -n -E "NVRTC_[A-Z_]+ *= *[0-9]+|^nvrtcResult nvrtc[A-Za-z]+\(|^const char \*nvrtc|NVRTC_EXTERN" $N | head -60
grep -n -A4 -E "nvrtcResult nvrtc(CreateProgram|GetCUBIN|GetCUBINSize|DestroyProgram|CompileProgram|GetProgramLog|GetProgramLogSize|Version)\(" $N | head -80
ls /usr/local/cuda/lib64/ | grep -E "nvrtc|cuda" ; ldconfig -p | grep -E "libcuda|nvrtc"
which nvidia-cuda-mps-control
nvidia-smi --query-gpu=name,driver_version,compute_mode --format=csv
