"""Build of scope._scope: the CPython extension over libscope and libscope-enforce.

The two libraries are linked statically from their archives, so the
package carries no libscope.so:

  SCOPE_LIBDIR   directory holding libscope.a and libscope-enforce.a
                 (default: the source tree's build/, made by running
                 `make -C ROOT build/libscope.a build/libscope-enforce.a`
                 first; with SCOPE_LIBDIR set, make is not run)
  SCOPE_SOURCE_DIR  the scope source tree (default: ../.. of this file)

System libraries linked dynamically: libpcre2-8, libjansson, liburiparser,
and Nettle's libhogweed and libnettle (the Ed25519 check of trusted_keys=).
Only PyInit__scope is exported (a version script): the runtime's symbols
stay private to the module, and the archives' position-independent
(-fPIE, Debian's default) objects link into it.
"""

import os
import shlex
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.environ.get("SCOPE_SOURCE_DIR") or os.path.join(HERE, os.pardir, os.pardir))
LIBDIR = os.environ.get("SCOPE_LIBDIR")
ARCHIVES = ["libscope-enforce.a", "libscope.a"]   # (enforce first: it uses libscope)


def pkg_libs(name, fallback):
    try:
        out = subprocess.run(["pkg-config", "--libs-only-l", name], check=True,
                             capture_output=True, text=True).stdout
        libs = [a[2:] for a in shlex.split(out) if a.startswith("-l")]
        return libs or [fallback]
    except (OSError, subprocess.CalledProcessError):
        return [fallback]


class BuildExt(build_ext):
    def run(self):
        libdir = os.path.abspath(LIBDIR) if LIBDIR else os.path.join(ROOT, "build")
        if not LIBDIR:
            if not os.path.exists(os.path.join(ROOT, "Makefile")):
                raise SystemExit(f"scope: no source tree at {ROOT} (set SCOPE_SOURCE_DIR, or "
                                 "SCOPE_LIBDIR to a directory with libscope.a and libscope-enforce.a)")
            targets = [f"build/{a}" for a in ARCHIVES]
            print("scope: make -C", ROOT, *targets)
            subprocess.run(["make", "-C", ROOT, *targets], check=True)
        missing = [a for a in ARCHIVES if not os.path.exists(os.path.join(libdir, a))]
        if missing:
            raise SystemExit(f"scope: {', '.join(missing)} not found in {libdir}: "
                             f"run `make -C {ROOT} lib build/libscope-enforce.a`")
        os.makedirs(self.build_temp, exist_ok=True)
        vscript = os.path.join(self.build_temp, "_scope.map")
        with open(vscript, "w") as f:
            f.write("{ global: PyInit__scope; local: *; };\n")
        for ext in self.extensions:
            ext.extra_objects = [os.path.join(libdir, a) for a in ARCHIVES]
            ext.extra_link_args = [f"-Wl,--version-script={vscript}", "-Wl,-z,now"]
            ext.depends = ext.extra_objects + ext.depends
        super().run()


ext = Extension(
    "scope._scope",
    sources=["src/scope/_scope.c"],
    include_dirs=[os.path.join(ROOT, "runtime"), os.path.join(ROOT, "runtime", "enforce")],
    libraries=pkg_libs("liburiparser", "uriparser") + pkg_libs("jansson", "jansson")
    + pkg_libs("libpcre2-8", "pcre2-8") + pkg_libs("hogweed", "hogweed") + pkg_libs("nettle", "nettle")
    + ["pthread"],
    extra_compile_args=["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-Wshadow",
                        "-Wstrict-prototypes", "-Wmissing-prototypes", "-fvisibility=hidden"],
    depends=[os.path.join(ROOT, "runtime", "scope.h"),
             os.path.join(ROOT, "runtime", "enforce", "scope_enforce.h")],
)

setup(ext_modules=[ext], cmdclass={"build_ext": BuildExt})
