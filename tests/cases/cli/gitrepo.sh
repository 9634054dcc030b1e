#!/bin/sh
# gitrepo.sh DIR: a throw-away repository for the diff cases: x.scope (ok.scope)
# committed with symbolic links that git cat-file --follow-symlinks cannot
# follow to a file, and x.scope changed in the work tree after the commit.
set -e
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1" && cd "$1"
git init -q
git config user.name "Case Test"
git config user.email case@example.invalid
git config commit.gpgsign false
cp "$here/ok.scope" x.scope
mkdir sub
cp "$here/ok.scope" sub/y.scope
ln -s missing.scope dangling.scope
ln -s loop2.scope loop1.scope
ln -s loop1.scope loop2.scope
ln -s x.scope/inner notdir.scope
ln -s ../../outside.scope out.scope
git add -A
git commit -q -m one
sed 's/asks   post/allows post/' "$here/ok.scope" >x.scope
