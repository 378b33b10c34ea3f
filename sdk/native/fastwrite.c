/*
 * One write(2) of a typed array's bytes, called straight from JavaScript: the SDK's marker hot path.
 *
 * fs.writeSync spends ~400 ns of JavaScript validation and libuv request setup around a ~180 ns system call on
 * this class of machine; a Node-API call costs ~80 ns. Plain C Node-API (ABI-stable, no C++ wrapper): one
 * function, no state. Returns the byte count, or -errno; never throws (the SDK turns a negative result into
 * "markers off").
 */
#include <errno.h>
#include <node_api.h>
#include <sys/syscall.h>
#include <unistd.h>

static napi_value write_bytes(napi_env env, napi_callback_info info)
{
	size_t argc = 3;
	napi_value argv[3];
	int32_t fd = -1, len = 0, result = -EINVAL;
	napi_typedarray_type type;
	size_t count = 0, offset = 0;
	void *data = NULL;
	napi_value out;

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 3 &&
	    napi_get_value_int32(env, argv[0], &fd) == napi_ok && napi_get_value_int32(env, argv[2], &len) == napi_ok &&
	    napi_get_typedarray_info(env, argv[1], &type, &count, &data, NULL, &offset) == napi_ok &&
	    type == napi_uint8_array && len >= 0 && (size_t)len <= count) {
		/* syscall(2), not write(3): glibc's write is a thread-cancellation point and brackets the call with
		 * cancellation enable/disable (~15 ns); Node never cancels threads */
		long n = syscall(SYS_write, fd, data, (size_t)len);
		result = n < 0 ? -errno : (int32_t)n;
	}
	napi_create_int32(env, result, &out);
	return out;
}

NAPI_MODULE_INIT()
{
	napi_value fn;
	if (napi_create_function(env, "write", NAPI_AUTO_LENGTH, write_bytes, NULL, &fn) != napi_ok ||
	    napi_set_named_property(env, exports, "write", fn) != napi_ok)
		return NULL;
	return exports;
}
