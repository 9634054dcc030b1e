"""PEP 517 backend of the scope package: setuptools, and when the `wheel`
package is absent (a fresh venv, offline: setuptools < 70 cannot make a
wheel without it) a wheel written here from `setup.py build`.

Everything but build_wheel and prepare_metadata_for_build_wheel is
setuptools.build_meta's.
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

from setuptools import build_meta as _st
from setuptools.build_meta import *  # noqa: F401,F403  (sdist, editable, requires)

NAME, VERSION = "scope", "0.1.0"
SUMMARY = "scope: authority for AI agents, decided before each action (runtime binding)"


def _have_wheel():
    try:
        import wheel  # noqa: F401
        return True
    except ImportError:
        return False


def _tag():
    impl = sys.implementation.name
    ver = f"{sys.version_info.major}{sys.version_info.minor}"
    py = ("cp" if impl == "cpython" else impl[:2]) + ver
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ""
    abi = py + ("d" if f"{ver}d-" in suffix else "")
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{py}-{abi}-{plat}"


def _dist_info():
    return f"{NAME}-{VERSION}.dist-info"


def _write_metadata(directory):
    d = os.path.join(directory, _dist_info())
    os.makedirs(d, exist_ok=True)
    readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "README.md")
    body = open(readme, encoding="utf-8").read() if os.path.exists(readme) else ""
    with open(os.path.join(d, "METADATA"), "w", encoding="utf-8") as f:
        f.write(f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\nSummary: {SUMMARY}\n"
                "Requires-Python: >=3.9\nDescription-Content-Type: text/markdown\n\n" + body)
    with open(os.path.join(d, "WHEEL"), "w") as f:
        f.write(f"Wheel-Version: 1.0\nGenerator: scope_build\nRoot-Is-Purelib: false\nTag: {_tag()}\n")
    with open(os.path.join(d, "top_level.txt"), "w") as f:
        f.write(NAME + "\n")
    return os.path.basename(d)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    if _have_wheel():
        return _st.prepare_metadata_for_build_wheel(metadata_directory, config_settings)
    return _write_metadata(metadata_directory)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if _have_wheel():
        return _st.build_wheel(wheel_directory, config_settings, metadata_directory)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="scope-wheel-") as tmp:
        lib = os.path.join(tmp, "lib")
        subprocess.run([sys.executable, "setup.py", "-q", "build", "--build-base", os.path.join(tmp, "build"),
                        "--build-lib", lib], cwd=here, check=True)
        shutil.rmtree(os.path.join(here, "src", f"{NAME}.egg-info"), ignore_errors=True)
        _write_metadata(lib)
        name = f"{NAME}-{VERSION}-{_tag()}.whl"
        records = []
        with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
            for root, dirs, files in os.walk(lib):
                dirs.sort()
                for fn in sorted(files):
                    path = os.path.join(root, fn)
                    arc = os.path.relpath(path, lib).replace(os.sep, "/")
                    data = open(path, "rb").read()
                    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                    records.append(f"{arc},sha256={digest},{len(data)}")
                    z.writestr(arc, data)
            rec = f"{_dist_info()}/RECORD"
            z.writestr(rec, "\n".join(records + [f"{rec},,"]) + "\n")
        return name
