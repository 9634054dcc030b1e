"""Policies for the tests of the Python binding, compiled once per run with
scopec ($SCOPEC, else the tree's ./scopec, else PATH)."""

import atexit
import os
import shutil
import subprocess
import tempfile

import scope

POLICIES = {
    # the main test policy: allow / ask / deny, attributes, unknown, regex
    "main.scope": """\
# test policy of examples/python
task reader
  allows read forum.**
  denies read forum.private.** when clearance != "staff"

task triage extends reader
  allows draft forum.**
  asks   post forum.** when channel == "internal"
  denies post forum.** when has flagged and flagged == "yes"
  denies config.**

task payer
  allows pay vendor.* when amount <= 100
  asks   pay vendor.* when amount > 100 and amount <= 1000

task oncall
  allows config.set service.* when ticket matches /INC-[0-9]+/

task idle
""",
    # two versions of one policy for the hot swap test: every request is
    # decided by an item, so the explanation names the file that decided
    "a.scope": """\
task t
  allows read r.one
  denies read r.two
  asks   read r.three
""",
    "b.scope": """\
task t
  denies read r.one
  asks   read r.two
  allows read r.three
""",
    # the guard tests
    "tools.scope": """\
task agent
  allows read_forum forum.**
  asks   post_answer forum.**
  denies post_answer forum.** when has suggests and suggests == "config"
  denies set_config **
""",
}

_tmp = tempfile.mkdtemp(prefix="scope-pytest-")
atexit.register(shutil.rmtree, _tmp, True)
_images = {}


def path(name):
    """Path of a policy source (written on first use)."""
    p = os.path.join(_tmp, name)
    if not os.path.exists(p):
        with open(p, "w") as f:
            f.write(POLICIES[name])
    return p


def image(name, strip=False):
    """The bytecode of a policy (bytes)."""
    key = (name, strip)
    if key not in _images:
        _images[key] = scope.compile_file(path(name), strip=strip)
    return _images[key]


def image_path(name, strip=False):
    """The path of a compiled policy."""
    p = os.path.join(_tmp, name + ("-stripped" if strip else "") + ".scopec")
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(image(name, strip))
    return p


def key(name):
    """(private, public) PEM paths of a key made with `scopec keygen`."""
    base = os.path.join(_tmp, "key-" + name)
    if not os.path.exists(base + ".pem"):
        subprocess.run([scope._find_scopec(), "keygen", "--out", base], check=True, capture_output=True)
    return base + ".pem", base + ".pub.pem"


def signed_image(name, key_name):
    """The bytecode of a policy signed with `scopec sign` by KEY_NAME (bytes)."""
    p = os.path.join(_tmp, "%s-signed-%s.scopec" % (name, key_name))
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(image(name))
        subprocess.run([scope._find_scopec(), "sign", p, "--key", key(key_name)[0]], check=True,
                       capture_output=True)
    with open(p, "rb") as f:
        return f.read()
