# peers.mk — `make bench-peers`: scope against a naive loop, Hyperscan and
# RE2::Set, in one process, on the same requests (bench/peers.c, the RE2
# shim bench/peers_re2.cc).  Bench-only dependencies, not part of the main
# build: Debian's libhyperscan-dev and libre2-dev, installed here with
# apt-get when missing and run as root.
#
#   make bench-peers                  the README table (a few minutes)
#   make bench-peers PEERS_ARGS=--quick   sizes up to 10 000 items only
.PHONY: bench-peers peers-deps

PEERS_DEB  := libhyperscan-dev libre2-dev
CXX        ?= c++
PEERS_CXXFLAGS = $(OPT) -std=c++17 -Wall -Wextra -Wshadow -Werror -Ibench

peers-deps:
	@missing=""; \
	[ -f /usr/include/hs/hs.h ] || missing="$$missing libhyperscan-dev"; \
	[ -f /usr/include/re2/set.h ] || missing="$$missing libre2-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing the bench-peers dependencies:$$missing"; \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null || \
	      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; }; } || \
	      { echo "make: apt-get failed; run: apt-get install -y$$missing" >&2; exit 1; }; \
	  else \
	    echo "make: bench-peers needs:$$missing; run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

$(B)/bench/peers.o: bench/peers.c bench/peers_re2.h $(B)/scope_parse.h | deps peers-deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ibench $$(pkg-config --cflags libhs 2>/dev/null || echo -I/usr/include/hs) -MMD -MP -c -o $@ $<

$(B)/bench/peers_re2.o: bench/peers_re2.cc bench/peers_re2.h | peers-deps
	@mkdir -p $(dir $@)
	$(CXX) $(PEERS_CXXFLAGS) -MMD -MP -c -o $@ $<

$(B)/scope-bench-peers: $(B)/bench/peers.o $(B)/bench/peers_re2.o $(B)/libscopec.a
	$(CXX) $(OPT) -o $@ $^ $$(pkg-config --libs libhs 2>/dev/null || echo -lhs) \
	  $$(pkg-config --libs re2 2>/dev/null || echo -lre2) $(LDLIBS_ALL) -pthread

bench-peers: $(B)/scope-bench-peers
	$(B)/scope-bench-peers $(PEERS_ARGS)
