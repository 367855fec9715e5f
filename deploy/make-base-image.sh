#!/usr/bin/env bash
# Makes a local Python base image from Debian's packages, for a machine that cannot pull images
# (no registry reachable): debootstrap a minimal bookworm with python3, then `docker import`.
#
#   deploy/make-base-image.sh [TAG]        # default tag: exitcases-base:bookworm
#   docker build --build-arg BASE_IMAGE=exitcases-base:bookworm -t exit-case-service .
#
# An image with the tag already present is kept (delete it to make a fresh one). Needs root,
# a Docker engine, and Debian's package mirror (DEBIAN_MIRROR to use another).
set -euo pipefail
tag="${1:-exitcases-base:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag already exists"
    exit 0
fi
if ! command -v debootstrap >/dev/null; then
    apt-get install -y -q --no-install-recommends debootstrap
fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
# With what the letters' PDF renderer needs (scripts/ensure-letter-libs --list).
letters="$("$(dirname "$0")/../scripts/ensure-letter-libs" --list | tr ' ' ',')"
debootstrap --variant=minbase --include="python3,python3-venv,ca-certificates,$letters" \
    bookworm "$root" "$mirror"
# Package caches and lists are for installing, which an image built from this never does.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/*
tar -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    - "$tag"
echo "$tag made"
