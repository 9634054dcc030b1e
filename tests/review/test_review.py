#!/usr/bin/env python3
"""The review path in real git repositories: `scopec diff REV:PATH PATH` and
the gate examples/ci/scope-review.  Each test builds a repository in a
temporary directory (user.name/email configured in it), commits a base,
changes the work tree and checks the exit status and the output.

usage: test_review.py --scopec PATH --gate PATH [unittest args]
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SCOPEC = GATE = None

POLICY = """\
# The triage agent.
include "common.scope"

task triage
  allows read forum.**
  asks   post forum.** when channel == "internal"

expect allow triage read forum.a
expect ask   triage post forum.a channel=internal
"""

COMMON = """\
# Shared guard rails.
task *
  denies * forum.secret.**
"""

# The incident: posting no longer needs a human.
WIDENED = POLICY.replace("  allows read forum.**\n", "  allows read forum.**,\n         post forum.help.**\n")
# Posting is taken away altogether.
NARROWED = POLICY.replace('  asks   post forum.** when channel == "internal"\n', "") \
                 .replace("expect ask   triage post forum.a channel=internal\n", "")


class Repo:
    """A throw-away git repository with policies/x.scope and common.scope."""

    def __init__(self, files=None):
        self.dir = tempfile.mkdtemp(prefix="scope-review-")
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Review Test")
        self.git("config", "user.email", "review@example.invalid")
        self.git("config", "commit.gpgsign", "false")
        for path, text in (files or {"policies/x.scope": POLICY, "policies/common.scope": COMMON}).items():
            self.write(path, text)
        self.commit("base")

    def path(self, rel):
        return os.path.join(self.dir, rel)

    def write(self, rel, text):
        os.makedirs(os.path.dirname(self.path(rel)) or ".", exist_ok=True)
        with open(self.path(rel), "w") as f:
            f.write(text)

    def remove(self, rel):
        os.unlink(self.path(rel))

    def git(self, *args):
        return subprocess.run(["git", *args], cwd=self.dir, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE).stdout.decode()

    def commit(self, msg):
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", msg)

    def run(self, *args, cwd=None, env=None):
        r = subprocess.run(list(args), cwd=cwd or self.dir, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def diff(self, old, new, cwd=None, env=None):
        return self.run(SCOPEC, "diff", old, new, cwd=cwd, env=env)

    def gate(self, *args, cwd=None):
        return self.run(GATE, "--scopec", SCOPEC, *args, cwd=cwd)

    def close(self):
        shutil.rmtree(self.dir)


class ReviewCase(unittest.TestCase):
    def setUp(self):
        self.repo = Repo()

    def tearDown(self):
        # Nothing left behind: the work tree is what the test made of it.
        self.repo.close()

    def assertExit(self, got, want):
        rc, out, err = got
        self.assertEqual(rc, want, f"exit {rc}, expected {want}\nstdout:\n{out}\nstderr:\n{err}")
        return out, err


class DiffRevPath(ReviewCase):
    """scopec diff with REV:PATH on one side or both."""

    def test_equivalent(self):
        out, _ = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 0)
        self.assertIn("no decision changes", out)
        self.assertEqual(self.repo.git("status", "--porcelain"), "")  # no checkout, no temp files

    def test_widening(self):
        self.repo.write("policies/x.scope", WIDENED)
        out, _ = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 1)
        self.assertIn("+ deny -> allow: triage post forum.help", out)
        self.assertEqual(self.repo.git("status", "--porcelain"), " M policies/x.scope\n")

    def test_narrowing(self):
        self.repo.write("policies/x.scope", NARROWED)
        out, _ = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 1)
        self.assertIn("- ask -> deny: triage post forum.a", out)
        self.assertIn("old: HEAD:policies/x.scope:6:10: asks post", out)  # names the revision's file
        self.assertNotIn("\n+ ", "\n" + out)

    def test_included_file_only(self):
        self.repo.write("policies/common.scope", "# Shared guard rails.\n")
        out, _ = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 1)
        self.assertIn("+ deny -> allow: triage read forum.secret.", out)
        self.assertIn("old: HEAD:policies/common.scope:3:10: denies * forum.secret.**", out)

    def test_both_sides_from_git(self):
        self.repo.write("policies/x.scope", WIDENED)
        self.repo.commit("widen")
        out, _ = self.assertExit(self.repo.diff("HEAD~1:policies/x.scope", "HEAD:policies/x.scope"), 1)
        self.assertIn("+ deny -> allow: triage post forum.help", out)
        self.assertIn("new: HEAD:policies/x.scope:", out)

    def test_syntax_error_in_new(self):
        self.repo.write("policies/x.scope", POLICY.replace("allows read", "allows read read read ,,"))
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 2)
        self.assertRegex(err, r"(?m)^policies/x\.scope:\d+:\d+: error: ")
        self.assertIn("scopec diff: NEW unusable; nothing compared", err)

    def test_syntax_error_in_base_names_revision(self):
        self.repo.write("policies/x.scope", "task triage allows\n")
        self.repo.commit("broken")
        self.repo.write("policies/x.scope", POLICY)
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 2)
        self.assertRegex(err, r"(?m)^HEAD:policies/x\.scope:\d+:\d+: error: ")
        self.assertIn("OLD unusable", err)

    def test_deleted_include_in_revision(self):
        self.repo.remove("policies/common.scope")
        self.repo.commit("delete include")
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 2)
        self.assertIn("HEAD:policies/x.scope:2:9: error: cannot read included file "
                      "'HEAD:policies/common.scope': no such file in revision 'HEAD'", err)

    def test_deleted_include_in_work_tree(self):
        self.repo.remove("policies/common.scope")
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 2)
        self.assertIn("cannot open included file 'policies/common.scope'", err)

    def test_unknown_revision(self):
        _, err = self.assertExit(self.repo.diff("origin/mian:policies/x.scope", "policies/x.scope"), 2)
        self.assertIn("scopec diff: cannot read 'origin/mian:policies/x.scope': no such file, and "
                      "'origin/mian' is not a revision", err)

    def test_file_missing_in_revision(self):
        self.repo.write("policies/new.scope", POLICY)
        _, err = self.assertExit(self.repo.diff("HEAD:policies/new.scope", "policies/new.scope"), 2)
        self.assertIn("'HEAD:policies/new.scope': no such file in revision 'HEAD'", err)

    def test_directory_in_revision(self):
        _, err = self.assertExit(self.repo.diff("HEAD:policies", "policies/x.scope"), 2)
        self.assertIn("a directory in revision 'HEAD', not a file", err)

    def test_dev_null_is_the_empty_policy(self):
        out, _ = self.assertExit(self.repo.diff("/dev/null", "HEAD:policies/x.scope"), 1)
        self.assertIn("+ deny -> allow: triage read forum.", out)
        out, _ = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "/dev/null"), 1)
        self.assertIn("- allow -> deny: triage read forum.", out)

    def test_includes_normalised_in_revision(self):
        self.repo.write("policies/sub/y.scope", POLICY.replace('"common.scope"', '"../sub/./../common.scope"'))
        self.repo.commit("y")
        self.assertExit(self.repo.diff("HEAD:policies/sub/y.scope", "HEAD:policies/x.scope"), 0)

    def test_include_leaving_the_repository(self):
        self.repo.write("policies/x.scope", POLICY.replace('"common.scope"', '"../../common.scope"'))
        self.repo.commit("escape")
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 2)
        self.assertIn("cannot open included file '../../common.scope': the path leaves the top", err)

    def test_absolute_include_in_revision(self):
        self.repo.write("policies/x.scope", POLICY.replace('"common.scope"', f'"{self.repo.path("policies/common.scope")}"'))
        self.repo.commit("absolute")
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 2)
        self.assertIn("an absolute include path cannot be read from revision 'HEAD'", err)

    def test_include_cycle_in_revision(self):
        self.repo.write("policies/common.scope", COMMON + 'include "x.scope"\n')
        self.repo.commit("cycle")
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 2)
        self.assertIn("include cycle: HEAD:policies/x.scope -> HEAD:policies/common.scope -> "
                      "HEAD:policies/x.scope", err)

    def test_symlinked_include_in_revision(self):
        os.rename(self.repo.path("policies/common.scope"), self.repo.path("policies/real.scope"))
        os.symlink("real.scope", self.repo.path("policies/common.scope"))
        self.repo.commit("link")
        self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 0)

    def test_paths_from_a_subdirectory(self):
        sub = self.repo.path("policies")
        self.assertExit(self.repo.diff("HEAD:./x.scope", "x.scope", cwd=sub), 0)
        self.assertExit(self.repo.diff("HEAD:policies/x.scope", "x.scope", cwd=sub), 0)
        _, err = self.assertExit(self.repo.diff("HEAD:x.scope", "x.scope", cwd=sub), 2)
        self.assertIn("REV:./PATH is from the current directory", err)

    def test_not_a_git_repository(self):
        d = tempfile.mkdtemp()
        try:
            shutil.copy(self.repo.path("policies/x.scope"), d)
            shutil.copy(self.repo.path("policies/common.scope"), d)
            _, err = self.assertExit(self.repo.diff("HEAD:x.scope", "x.scope", cwd=d), 2)
            self.assertIn("not in a git repository", err)
        finally:
            shutil.rmtree(d)

    def test_git_not_installed(self):
        env = dict(os.environ, PATH="/nonexistent")
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope", env=env), 2)
        self.assertIn("git is not installed", err)

    def test_colon_in_a_file_name(self):
        # Not a revision: the file on disk is read.
        self.repo.write("a:b.scope", POLICY.replace('"common.scope"', '"policies/common.scope"'))
        self.assertExit(self.repo.diff("a:b.scope", "policies/x.scope"), 0)
        # Both a file and REV:PATH: refused, ./ picks the file.
        self.repo.write("HEAD:policies/x.scope", WIDENED.replace('"common.scope"', '"../policies/common.scope"'))
        _, err = self.assertExit(self.repo.diff("HEAD:policies/x.scope", "policies/x.scope"), 2)
        self.assertIn("is ambiguous", err)
        out, _ = self.assertExit(self.repo.diff("./HEAD:policies/x.scope", "policies/x.scope"), 1)
        self.assertIn("- allow -> deny: triage post forum.help", out)


class Gate(ReviewCase):
    """examples/ci/scope-review BASE_REV [POLICY...]"""

    def test_clean(self):
        out, _ = self.assertExit(self.repo.gate("HEAD"), 0)
        self.assertIn("scope-review: PASS", out)

    def test_widening_fails(self):
        self.repo.write("policies/x.scope", WIDENED)
        out, _ = self.assertExit(self.repo.gate("HEAD"), 1)
        self.assertIn("+ deny -> allow: triage post forum.help", out)
        self.assertIn("FAIL: policies/x.scope: widens authority", out)

    def test_widening_approved(self):
        self.repo.write("policies/x.scope", WIDENED)
        out, _ = self.assertExit(self.repo.gate("--allow-widen", "HEAD"), 0)
        self.assertIn("approved: --allow-widen", out)

    def test_narrowing_passes(self):
        self.repo.write("policies/x.scope", NARROWED)
        out, _ = self.assertExit(self.repo.gate("HEAD"), 0)
        self.assertIn("- ask -> deny", out)
        self.assertIn("PASS", out)

    def test_included_file_change_detected(self):
        self.repo.write("policies/common.scope", "# Shared guard rails.\n")
        out, _ = self.assertExit(self.repo.gate("HEAD", "policies/x.scope"), 1)
        self.assertIn("== policies/x.scope (changed)", out)
        self.assertIn("+ deny -> allow", out)

    def test_syntax_error(self):
        self.repo.write("policies/x.scope", POLICY.replace("allows read", "allows read read read ,,"))
        out, _ = self.assertExit(self.repo.gate("HEAD"), 2)
        self.assertRegex(out, r"(?m)^policies/x\.scope:\d+:\d+: error: ")
        self.assertIn("ERROR: policies/x.scope: scopec diff could not compare", out)

    def test_deleted_include(self):
        self.repo.remove("policies/common.scope")
        out, _ = self.assertExit(self.repo.gate("HEAD"), 2)
        self.assertIn("cannot open included file 'policies/common.scope'", out)

    def test_unknown_revision(self):
        _, err = self.assertExit(self.repo.gate("origin/main"), 2)
        self.assertIn("unknown revision 'origin/main'", err)

    def test_new_policy_is_a_widening(self):
        self.repo.write("policies/new.scope", POLICY.replace("triage", "helper"))
        out, _ = self.assertExit(self.repo.gate("HEAD"), 1)
        self.assertIn("== policies/new.scope (added): scopec diff /dev/null policies/new.scope", out)
        self.assertIn("+ deny -> allow: helper read forum.", out)
        self.assertExit(self.repo.gate("--allow-widen", "HEAD"), 0)

    def test_deleted_policy_narrows(self):
        self.repo.write("policies/y.scope", POLICY.replace("triage", "helper"))
        self.repo.commit("y")
        self.repo.remove("policies/y.scope")
        out, _ = self.assertExit(self.repo.gate("HEAD"), 0)
        self.assertIn("== policies/y.scope (deleted)", out)

    def test_unformatted(self):
        self.repo.write("policies/x.scope", POLICY.replace("asks   post", "asks post"))
        out, _ = self.assertExit(self.repo.gate("HEAD"), 1)
        self.assertIn("policies/x.scope: not formatted", out)

    def test_unformatted_include(self):
        self.repo.write("policies/common.scope", COMMON.replace("  denies", "    denies"))
        out, _ = self.assertExit(self.repo.gate("HEAD", "policies/x.scope"), 1)
        self.assertIn("FAIL: policies/common.scope: not formatted", out)

    def test_failing_expect(self):
        self.repo.write("policies/x.scope", NARROWED + "expect allow triage post forum.a\n")
        out, _ = self.assertExit(self.repo.gate("HEAD"), 1)
        self.assertIn("failing expects (scopec test)", out)

    def test_lint_warning(self):
        self.repo.write("policies/x.scope", NARROWED.replace("allows read forum.**", "allows ** forum.drafts.**")
                        .replace("expect allow triage read forum.a\n", ""))
        out, _ = self.assertExit(self.repo.gate("--allow-widen", "HEAD"), 1)
        self.assertIn("[scope.grants-everything]", out)
        self.assertIn("lint warnings (scopec check --werror)", out)

    def test_from_a_subdirectory_with_relative_policy(self):
        self.repo.write("policies/x.scope", WIDENED)
        out, _ = self.assertExit(self.repo.gate("HEAD", "x.scope", cwd=self.repo.path("policies")), 1)
        self.assertIn("== policies/x.scope (changed)", out)

    def test_nothing_to_review(self):
        r = Repo({"README": "no policies here\n"})
        try:
            _, err = self.assertExit(r.gate("HEAD"), 2)
            self.assertIn("nothing to review", err)
        finally:
            r.close()

    def test_committed_change_against_base_branch(self):
        # What CI does: the pull request is committed, the base is a branch.
        self.repo.git("branch", "base")
        self.repo.write("policies/x.scope", WIDENED)
        self.repo.commit("widen")
        self.assertExit(self.repo.gate("base"), 1)
        self.assertExit(self.repo.gate("HEAD"), 0)


def main():
    global SCOPEC, GATE
    args = sys.argv[1:]
    while args and args[0] in ("--scopec", "--gate"):
        val = os.path.abspath(args[1])
        if args[0] == "--scopec":
            SCOPEC = val
        else:
            GATE = val
        args = args[2:]
    if not SCOPEC or not GATE:
        sys.exit(__doc__)
    unittest.main(argv=[sys.argv[0], *args])


if __name__ == "__main__":
    main()
