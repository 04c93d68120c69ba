/* libFuzzer target: the whole config pipeline (inih reader, model, validation,
 * expectation parser) on arbitrary bytes. Built by `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tb_diag d = { 0 };
	struct tb_config *c = config_load_buffer("fuzz.conf", (const char *)data, size, &d);

	if (c && !diag_errors(&d)) {
		/* every case of a valid file must expand */
		size_t n = config_n_cases(c);

		for (size_t k = 0; k < n && k < 64; k++)
			config_free(config_case(c, k, &d));
		config_free(config_dup(c));
	}
	fuzz_finish(c, &d);
	return 0;
}
