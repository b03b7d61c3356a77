# shellcheck shell=bash
# Shared by every script in scripts/: where the repository is, where the provisioned Python lives, and
# `in_env`, which runs a command with the project's Python either on the host (when the host has a new
# enough Python) or inside a cached Debian testing root filesystem (when it does not).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MIN_PYTHON="3.14.2"
CACHE_DIR="${TESLA_SYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tesla-sync}"
ROOTFS="$CACHE_DIR/rootfs-testing"
ROOTFS_READY="$ROOTFS/.tesla-sync-ready"
VENV="$REPO_ROOT/.venv"
MODE_FILE="$VENV/.tesla-sync-mode"
# What scripts/setup installs into .venv; its stamp says which versions of these files it installed.
REQUIREMENTS=("$REPO_ROOT/requirements_test.txt" "$REPO_ROOT/requirements_dev.txt")
REQUIREMENTS_STAMP="$VENV/.tesla-sync-stamp"

say() { printf '\033[1m[tesla-sync]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Prints the first Python on PATH that is at least MIN_PYTHON, or nothing.
find_host_python() {
  local candidate
  for candidate in python3.14 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c "import sys; sys.exit(0 if sys.version_info >= tuple(map(int, '$MIN_PYTHON'.split('.'))) else 1)" \
        >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 0
}

requirements_stamp() { cat "${REQUIREMENTS[@]}" | sha256sum | cut -d" " -f1; }

# "host" when .venv was built from a host Python, "rootfs" when it lives in the provisioned root filesystem.
env_mode() {
  [[ -f "$MODE_FILE" ]] || die "no development environment yet: run scripts/setup first"
  cat "$MODE_FILE"
}

# Runs "$@" from the repository root with .venv first on PATH. In rootfs mode the command runs chrooted into
# the cached root filesystem, in a private mount namespace, so the bind mounts vanish when it ends.
in_env() {
  local mode
  mode="$(env_mode)"
  if [[ "$mode" == "host" ]]; then
    (cd "$REPO_ROOT" && PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV" "$@")
  else
    in_rootfs "PATH=$VENV/bin:/usr/local/bin:/usr/bin:/bin" "VIRTUAL_ENV=$VENV" "$@"
  fi
}

# Runs "$@" (leading NAME=value words become environment) chrooted into the root filesystem, in the repository.
in_rootfs() {
  local -a env_words=(
    "HOME=/root" "LANG=C.UTF-8" "TERM=${TERM:-dumb}" "CI=${CI:-}"
    "PATH=/usr/local/bin:/usr/bin:/bin"
    "PIP_CERT=/etc/ssl/certs/ca-certificates.crt" "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
    "PIP_DISABLE_PIP_VERSION_CHECK=1" "PYTHONDONTWRITEBYTECODE=${PYTHONDONTWRITEBYTECODE:-}"
  )
  while [[ $# -gt 0 && "$1" == *=* && "$1" != -* ]]; do
    env_words+=("$1")
    shift
  done
  # A git worktree keeps its repository elsewhere (.git is a file naming it): mount that too, so git works.
  local git_dir=""
  if [[ -f "$REPO_ROOT/.git" ]]; then
    git_dir="$(git -C "$REPO_ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
  fi
  unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
    rootfs="$1"; repo="$2"; git_dir="$3"; shift 3
    mkdir -p "$rootfs$repo"
    mount --rbind /dev "$rootfs/dev"
    mount -t proc proc "$rootfs/proc"
    mount --bind "$repo" "$rootfs$repo"
    if [[ -n "$git_dir" && -d "$git_dir" ]]; then
      mkdir -p "$rootfs$git_dir"
      mount --bind "$git_dir" "$rootfs$git_dir"
    fi
    cp /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$rootfs" /usr/bin/env -i "$@"
  ' in_rootfs "$ROOTFS" "$REPO_ROOT" "$git_dir" "${env_words[@]}" /bin/bash -c 'cd "$0" && exec "$@"' \
    "$REPO_ROOT" "$@"
}
