# install.mk — `make install` / `make uninstall` like a C library, and the
# install test (install-check, run by `make test`).
#
#   make install PREFIX=/usr/local [DESTDIR=/stage] [LIBDIR=...] [MANDIR=...]
#
# installs
#   $(BINDIR)/scopec  $(BINDIR)/scope-mcp
#   $(LIBDIR)/libscope.a
#   $(LIBDIR)/libscope.so.$(SCOPE_VERSION)   soname libscope.so.$(SCOPE_SOVERSION)
#   $(LIBDIR)/libscope.so.$(SCOPE_SOVERSION) -> libscope.so.$(SCOPE_VERSION)
#   $(LIBDIR)/libscope.so          -> libscope.so.$(SCOPE_SOVERSION)
#   $(INCLUDEDIR)/scope.h
#   $(PKGCONFIGDIR)/scope.pc
#   $(MANDIR)/man1/scopec.1  man1/scope-mcp.1  man5/scope.5  man3/scope.3
#   $(MANDIR)/man3/scope_*.3  (one ".so man3/scope.3" page per function)
#
# The shared library exports exactly the functions declared in scope.h: the
# list is read from the header (the one source of truth) into a version
# script, and install-check compares it with the symbols of the .so.

ifndef SCOPE_INSTALL_MK
SCOPE_INSTALL_MK := 1   # (mk/python.mk may include this file first)

SCOPE_VERSION   := 0.1.0
SCOPE_SOVERSION := $(firstword $(subst ., ,$(SCOPE_VERSION)))

PREFIX       ?= /usr/local
EXEC_PREFIX  ?= $(PREFIX)
BINDIR       ?= $(EXEC_PREFIX)/bin
LIBDIR       ?= $(EXEC_PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
DATAROOTDIR  ?= $(PREFIX)/share
MANDIR       ?= $(DATAROOTDIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL      ?= install

SCOPE_SO       := libscope.so.$(SCOPE_VERSION)
SCOPE_SONAME   := libscope.so.$(SCOPE_SOVERSION)
# Every function of the public header, e.g. "const char *scope_strerror(int err);".
# (a sed script in a variable: make would count its parentheses in $(shell))
scope_api_sed  := s/^[a-z][^(]*[ *]\(scope_[a-z0-9_]*\)(.*/\1/p
SCOPE_API      := $(shell sed -n '$(scope_api_sed)' runtime/scope.h)
SCOPE_MAN      := man/scopec.1 man/scope-mcp.1 man/scope.5 man/scope.3
# (RUNTIME_PIC_OBJ of the Makefile is defined after mk/*.mk are included)
SCOPE_PIC_OBJ  := $(RUNTIME_SRC:%.c=$(B)/pic/%.o)

.PHONY: install uninstall install-check man-check

$(B)/libscope.map: runtime/scope.h mk/install.mk
	@mkdir -p $(B)
	{ echo '/* generated from runtime/scope.h by mk/install.mk */'; \
	  echo '{'; echo '  global:'; \
	  for f in $(SCOPE_API); do echo "    $$f;"; done; \
	  echo '  local: *;'; echo '};'; } > $@

$(B)/$(SCOPE_SO): $(SCOPE_PIC_OBJ) $(B)/libscope.map
	$(CC) $(OPT) -shared -Wl,-soname,$(SCOPE_SONAME) -Wl,--version-script,$(B)/libscope.map \
	  -Wl,-z,defs -Wl,-z,relro -Wl,-z,now -o $@ $(SCOPE_PIC_OBJ) $(PCRE2_LIBS) -pthread

# The pkg-config file carries the installed paths, so it is written at
# install time from mk/scope.pc.in (PREFIX may differ from run to run).
define scope_pc
sed -e 's|@prefix@|$(PREFIX)|g' -e 's|@exec_prefix@|$(EXEC_PREFIX)|g' \
    -e 's|@libdir@|$(LIBDIR)|g' -e 's|@includedir@|$(INCLUDEDIR)|g' \
    -e 's|@version@|$(SCOPE_VERSION)|g' mk/scope.pc.in
endef

install: scopec $(B)/scope-mcp $(B)/libscope.a $(B)/$(SCOPE_SO) runtime/scope.h mk/scope.pc.in $(SCOPE_MAN)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 755 scopec $(DESTDIR)$(BINDIR)/scopec
	$(INSTALL) -m 755 $(B)/scope-mcp $(DESTDIR)$(BINDIR)/scope-mcp
	$(INSTALL) -m 644 $(B)/libscope.a $(DESTDIR)$(LIBDIR)/libscope.a
	$(INSTALL) -m 755 $(B)/$(SCOPE_SO) $(DESTDIR)$(LIBDIR)/$(SCOPE_SO)
	ln -sf $(SCOPE_SO) $(DESTDIR)$(LIBDIR)/$(SCOPE_SONAME)
	ln -sf $(SCOPE_SONAME) $(DESTDIR)$(LIBDIR)/libscope.so
	$(INSTALL) -m 644 runtime/scope.h $(DESTDIR)$(INCLUDEDIR)/scope.h
	$(scope_pc) > $(DESTDIR)$(PKGCONFIGDIR)/scope.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/scope.pc
	$(INSTALL) -m 644 man/scopec.1 $(DESTDIR)$(MANDIR)/man1/scopec.1
	$(INSTALL) -m 644 man/scope-mcp.1 $(DESTDIR)$(MANDIR)/man1/scope-mcp.1
	$(INSTALL) -m 644 man/scope.5 $(DESTDIR)$(MANDIR)/man5/scope.5
	$(INSTALL) -m 644 man/scope.3 $(DESTDIR)$(MANDIR)/man3/scope.3
	@for f in $(SCOPE_API); do \
	  echo '.so man3/scope.3' > $(DESTDIR)$(MANDIR)/man3/$$f.3 || exit 1; \
	  chmod 644 $(DESTDIR)$(MANDIR)/man3/$$f.3; \
	done
	@echo "installed scope $(SCOPE_VERSION) under $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/scopec $(DESTDIR)$(BINDIR)/scope-mcp
	rm -f $(DESTDIR)$(LIBDIR)/libscope.a $(DESTDIR)$(LIBDIR)/$(SCOPE_SO)
	rm -f $(DESTDIR)$(LIBDIR)/$(SCOPE_SONAME) $(DESTDIR)$(LIBDIR)/libscope.so
	rm -f $(DESTDIR)$(INCLUDEDIR)/scope.h $(DESTDIR)$(PKGCONFIGDIR)/scope.pc
	rm -f $(DESTDIR)$(MANDIR)/man1/scopec.1 $(DESTDIR)$(MANDIR)/man1/scope-mcp.1 $(DESTDIR)$(MANDIR)/man5/scope.5
	rm -f $(DESTDIR)$(MANDIR)/man3/scope.3 $(SCOPE_API:%=$(DESTDIR)$(MANDIR)/man3/%.3)

# The man page documents every function and error code of the header and
# renders without a groff warning.
man-check: man/scope.3 runtime/scope.h
	@if command -v groff >/dev/null 2>&1; then \
	  out=$$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z man/scope.3 2>&1); \
	  if [ -n "$$out" ]; then echo "$$out"; echo "man-check: groff warnings in man/scope.3" >&2; exit 1; fi; \
	else echo "man-check: no groff; not rendering man/scope.3"; fi
	@missing=""; \
	for n in $(SCOPE_API) $$(sed -n 's/^[[:space:]]*X(\(SCOPE_E[A-Z]*\),.*/\1/p' runtime/scope.h); do \
	  grep -qw -- "$$n" man/scope.3 || missing="$$missing $$n"; \
	done; \
	if [ -n "$$missing" ]; then echo "man-check: man/scope.3 does not document:$$missing" >&2; exit 1; fi
	@echo "man-check: man/scope.3 documents $(words $(SCOPE_API)) functions and every error code"

# Installs into a temporary prefix (and a DESTDIR stage), builds
# examples/embed/minimal.c against it with pkg-config only, runs it with the
# shared library and linked statically, then uninstalls.  The prerequisites
# are built by this make, so the inner `make install` has nothing to build.
install-check: scopec $(B)/scope-mcp $(B)/libscope.a $(B)/$(SCOPE_SO) man-check \
		examples/embed/install-check.sh examples/embed/minimal.c examples/embed/minimal.scope
	+@MAKE='$(MAKE)' B='$(B)' CC='$(CC)' WARN='$(WARN)' SCOPE_VERSION='$(SCOPE_VERSION)' \
	  SCOPE_API='$(SCOPE_API)' sh examples/embed/install-check.sh

EXTRA_TESTS += install-check

endif
