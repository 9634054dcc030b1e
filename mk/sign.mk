# sign.mk — signed policies: `scopec keygen`, `scopec sign`, `scopec verify`
# (compiler/sign.c) over libscope-enforce's Ed25519 keys and signature check
# (runtime/enforce/sig.c, Nettle's libhogweed).
#
#   make sign-check   (part of `make test`) the whole flow with a bundle
#                     served over HTTP: keygen, compile, sign, publish to a
#                     local `python3 -m http.server`, fetch with
#                     examples/gateway/fetch-policy (ETag polling, atomic
#                     replace), and a gateway started with --trusted-key
#                     that hot-swaps good bundles and refuses the others
.PHONY: sign-check

$(B)/compiler/sign.o: EXTRA_CFLAGS += -Iruntime/enforce

sign-check: scopec $(B)/scope-gateway
	python3 tests/sign/test_sign_flow.py --scopec ./scopec --gateway $(B)/scope-gateway

EXTRA_TESTS += sign-check
