/*
 * fuzz_request.c — libFuzzer target for the request syntax of `scopec eval`:
 * the re2c line tokenizer and the JSON request reader.
 */
#include "request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0'; /* the tokenizer's sentinel */
	sc_reqparse rp;
	sc_reqparse_init(&rp);
	if (sc_request_parse_line(&rp, line, size) == 1) {
		/* a parsed request has a non-empty action and distinct keys */
		if (rp.rq.action.n == 0)
			abort();
		for (size_t i = 0; i < rp.rq.nattrs; i++)
			for (size_t j = 0; j < i; j++)
				if (sc_str_eq(rp.rq.attrs[i].key, rp.rq.attrs[j].key))
					abort();
	}
	(void)sc_request_parse_json(&rp, line, size);
	sc_reqparse_fini(&rp);
	free(line);
	return 0;
}
