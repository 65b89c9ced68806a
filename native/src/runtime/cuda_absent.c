/* cuda_absent.c — the CUDA backend of a library built without CUDA: no devices. */
#include "backend_cuda.h"
#include "error.h"

#define NOT_BUILT(fn) d4j_fail((fn), D4J_ERR_NO_DEVICE, "this library was built without CUDA")

int d4j_cuda_is_built(void) { return 0; }
int d4j_cuda_count(void) { return 0; }
d4j_status d4j_cuda_info(const char* fn, int o, char* n, int64_t c, int64_t* t) {
    (void)o; (void)n; (void)c; (void)t;
    return NOT_BUILT(fn);
}
d4j_status d4j_cuda_stream_create(const char* fn, int o, void** s) { (void)o; (void)s; return NOT_BUILT(fn); }
void d4j_cuda_stream_destroy(int o, void* s) { (void)o; (void)s; }
d4j_status d4j_cuda_synchronize(const char* fn, int o, void* s) { (void)o; (void)s; return NOT_BUILT(fn); }
d4j_status d4j_cuda_malloc(const char* fn, int o, size_t b, void** p) { (void)o; (void)b; (void)p; return NOT_BUILT(fn); }
void d4j_cuda_free(int o, void* p) { (void)o; (void)p; }
d4j_status d4j_cuda_upload(const char* fn, int o, void* s, float* d, const float* x, int64_t n) {
    (void)o; (void)s; (void)d; (void)x; (void)n;
    return NOT_BUILT(fn);
}
d4j_status d4j_cuda_download(const char* fn, int o, void* s, float* d, const float* x, int64_t n) {
    (void)o; (void)s; (void)d; (void)x; (void)n;
    return NOT_BUILT(fn);
}
d4j_status d4j_cuda_copy(const char* fn, int o, void* s, float* d, const float* x, int64_t n) {
    (void)o; (void)s; (void)d; (void)x; (void)n;
    return NOT_BUILT(fn);
}
