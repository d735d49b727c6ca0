#!/bin/sh
# Build the example organisation site (`make org-site`): the bank's platform catalog at the top of
# this repository, with two member teams, each in a git repository of its own (made here, with a
# scripted history), pinned in servicebook.lock by `servicebook federate update`.
#
#   examples/org/build-org-site.sh [WORK]   (default WORK: build/org; the site goes to WORK/public)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:-$top/build/org}
servicebook=${SERVICEBOOK:-servicebook}

# the same bytes on every run: fixed authors and dates, no user configuration
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Example Team" GIT_AUTHOR_EMAIL=team@example.com
export GIT_COMMITTER_NAME="Example Team" GIT_COMMITTER_EMAIL=team@example.com
export GIT_AUTHOR_DATE="2026-11-02T09:00:00Z" GIT_COMMITTER_DATE="2026-11-02T09:00:00Z"
export SOURCE_DATE_EPOCH=1793610000  # 2026-11-02 09:00 UTC: the date review_by dates are judged by

rm -rf "$work"
mkdir -p "$work"
for member in db-team network-team; do
    cp -R "$here/members/$member" "$work/$member"
    git -C "$work/$member" init -q -b main
    git -C "$work/$member" add -A
    git -C "$work/$member" commit -q -m "The $member catalog"
done

# the organisation's own catalog: the platform team's, with the members added
mkdir "$work/org"
cp "$top/catalog.yaml" "$work/org/catalog.yaml"
cp -R "$top/content" "$work/org/content"
cp "$here/content/"*.md "$work/org/content/"
cat "$here/members.yaml" >> "$work/org/catalog.yaml"

"$servicebook" federate update --source "$work/org"
"$servicebook" build --source "$work/org" --output "$work/public" --no-versions
