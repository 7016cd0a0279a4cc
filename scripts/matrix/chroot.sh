#!/usr/bin/env bash
# Runs a command inside a matrix root, with a clean environment:
#   scripts/matrix/chroot.sh ROOTDIR [NAME=VALUE ...] -- COMMAND [ARG ...]
# Everything is mounted inside a private mount namespace (unshare --mount), so the mounts end with
# the command and are never seen outside, whatever happens to it: /proc, /dev, the host's
# resolv.conf (pip reaches PyPI), this checkout at its own path (read-only: the wheel, the npm
# projects, the vectors and the scripts), and MATRIX_BIND (colon-separated host paths, read-only,
# at their own paths: iamdb's CA). A chroot shares the host's network, so 127.0.0.1 is iamdb's.
# pip in the root trusts what the host's pip trusts (PIP_CERT or the system bundle: a
# TLS-inspecting proxy's CA may only be there); proxy settings are passed on when set.
set -euo pipefail
root=$1
shift
vars=()
while (($#)) && [[ $1 != -- ]]; do vars+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pip_ca=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
[[ -f $pip_ca ]] || pip_ca=
passed=(PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 PIP_DISABLE_PIP_VERSION_CHECK=1
  PIP_NO_INPUT=1 "PIP_DEFAULT_TIMEOUT=${PIP_DEFAULT_TIMEOUT:-60}")
[[ -n $pip_ca ]] && passed+=(PIP_CERT=/etc/rds-iam-matrix/pip-ca.crt)
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy PIP_INDEX_URL; do
  [[ -n ${!v:-} ]] && passed+=("$v=${!v}")
done

exec unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
root=$1 checkout=$2 pip_ca=$3; shift 3
bind_ro() { mkdir -p "$root$2"; mount --bind "$1" "$root$2"; mount -o remount,bind,ro "$root$2"; }
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
[[ -e $root/etc/resolv.conf && ! -L $root/etc/resolv.conf ]] || { rm -f "$root/etc/resolv.conf"; touch "$root/etc/resolv.conf"; }
mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
bind_ro "$checkout" "$checkout"
if [[ -n $pip_ca ]]; then
  mkdir -p "$root/etc/rds-iam-matrix"; touch "$root/etc/rds-iam-matrix/pip-ca.crt"
  mount --bind "$pip_ca" "$root/etc/rds-iam-matrix/pip-ca.crt"
fi
IFS=: read -ra extra <<< "${MATRIX_BIND:-}"
for p in "${extra[@]}"; do [[ -n $p ]] && bind_ro "$p" "$p"; done
exec chroot "$root" /usr/bin/env -i "$@"
' chroot.sh "$root" "$checkout" "$pip_ca" "${passed[@]}" "${vars[@]}" "$@"
