# soak.mk — `make soak`: a bounded soak of scope-gateway and scope-mcp
# (tests/soak/soak.py; minutes, not part of `make test`).
#
#   make soak [SOAK_SECONDS=120] [SOAK_CLIENTS=6] [SOAK_PROXIES=2]
#
# Concurrent gateway clients and MCP sessions while the policy file is
# replaced every 100 ms, the gateway is killed and restarted, MCP servers
# are killed, clients disconnect mid-line; every decision checked against
# the reference evaluator, RSS and file descriptors watched.
SOAK_SECONDS ?= 120
SOAK_CLIENTS ?= 6
SOAK_PROXIES ?= 2

.PHONY: soak

soak: $(B)/scope-gateway $(B)/scope-mcp scopec
	python3 tests/soak/soak.py --gateway $(B)/scope-gateway --mcp $(B)/scope-mcp --scopec ./scopec \
	  --seconds $(SOAK_SECONDS) --clients $(SOAK_CLIENTS) --proxies $(SOAK_PROXIES)
