#!/usr/bin/env bash
#
# Build the OCI image of hingraph into bin/hingraph-image.oci.tar (make
# image): a static binary (CGO_ENABLED=0, -trimpath, the committed browser
# bundle embedded), this machine's CA certificates and zoneinfo, /etc/passwd
# naming the non-root user, on scratch (deploy/Containerfile), built by
# buildah without a network. buildah is installed with apt when missing and
# we are root.
#
# Reproducible: every timestamp is SOURCE_DATE_EPOCH (by default the time of
# the commit), so two builds of one commit with one Go toolchain and one
# buildah give the same image digest. The digest is printed and written to
# bin/hingraph-image.digest.
#
# scripts/image.sh --tool only makes sure buildah is there (installing it
# if it can) and exits 0 when it is, 1 when not: make image-test skips then.
#
# Environment: VERSION, COMMIT (default from git), SOURCE_DATE_EPOCH,
# IMAGE_OUT (the archive), HINGRAPH_BUILDAH_ROOT (buildah's storage, by
# default .data/buildah in the checkout).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
cd "$ROOT"

log() { printf 'image: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# The image's user: numeric, not root, matched by deploy/kubernetes.
UID_GID=10001

if [[ ${1:-} == --tool ]]; then
	command -v buildah >/dev/null && exit 0
	((EUID == 0)) && command -v apt-get >/dev/null || exit 1
fi
if ! command -v buildah >/dev/null; then
	((EUID == 0)) || die "buildah is needed to build the image; install it (apt-get install buildah) and retry"
	command -v apt-get >/dev/null || die "buildah is missing and there is no apt-get to install it"
	log "buildah not found; installing Debian's package 'buildah'"
	DEBIAN_FRONTEND=noninteractive apt-get install -y buildah >/dev/null 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y buildah >/dev/null; } ||
		die "installing buildah failed"
fi
[[ ${1:-} == --tool ]] && exit 0

commit_time=$(git log -1 --format=%ct 2>/dev/null || true)
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo unknown)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-${commit_time:-0}}
export SOURCE_DATE_EPOCH
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
OUT=${IMAGE_OUT:-$ROOT/bin/hingraph-image.oci.tar}
STORE=${HINGRAPH_BUILDAH_ROOT:-$ROOT/.data/buildah}
CA=/etc/ssl/certs/ca-certificates.crt
ZONEINFO=/usr/share/zoneinfo
[[ -s $CA ]] || die "$CA is missing: install Debian's ca-certificates"
[[ -f $ZONEINFO/Europe/London ]] || die "$ZONEINFO is missing: install Debian's tzdata"
grep -q . web/dist/BUILT 2>/dev/null || die "web/dist holds no bundle: run scripts/web.sh"

ctx=$(mktemp -d)
trap 'rm -rf -- "$ctx"' EXIT
rootfs=$ctx/rootfs
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/usr/share"

log "building the static binary ($VERSION, $COMMIT)"
CGO_ENABLED=0 go build -trimpath -buildvcs=false \
	-ldflags "-s -w -buildid= -X main.version=$VERSION -X main.commit=$COMMIT" \
	-o "$rootfs/hingraph" ./cmd/hingraph
cp -- "$CA" "$rootfs/etc/ssl/certs/ca-certificates.crt"
cp -R --no-preserve=ownership -- "$ZONEINFO" "$rootfs/usr/share/zoneinfo"
printf 'root:x:0:0:root:/:/sbin/nologin\nhingraph:x:%s:%s:hingraph:/:/sbin/nologin\n' $UID_GID $UID_GID >"$rootfs/etc/passwd"
printf 'root:x:0:\nhingraph:x:%s:\n' $UID_GID >"$rootfs/etc/group"
# Same modes and times on every machine: read-only for everyone, the binary
# executable; umask and checkout times must not reach the layer.
find "$rootfs" -type d -exec chmod 0555 {} +
find "$rootfs" -type f -exec chmod 0444 {} +
chmod 0555 "$rootfs/hingraph"
find "$rootfs" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
cp -- deploy/Containerfile "$ctx/Containerfile"

annotations=(
	"org.opencontainers.image.title=hingraph"
	"org.opencontainers.image.description=hin-graph GraphQL API of the NHS Health Innovation Network"
	"org.opencontainers.image.version=$VERSION"
	"org.opencontainers.image.revision=$COMMIT"
	"org.opencontainers.image.created=$created"
	"org.opencontainers.image.source=https://github.com/hin-graph/hin-graph"
	"org.opencontainers.image.documentation=https://github.com/hin-graph/hin-graph/blob/$COMMIT/docs/deployment.md"
)
args=()
for a in "${annotations[@]}"; do args+=(--annotation "$a" --label "$a"); done

buildah=(buildah --root "$STORE/root" --runroot "$STORE/run" --storage-driver vfs)
tag=localhost/hingraph:build-$$
log "building the image with $(buildah --version)"
"${buildah[@]}" build --quiet --format oci --timestamp "$SOURCE_DATE_EPOCH" --identity-label=false \
	--layers=false --no-cache --pull=never "${args[@]}" -f "$ctx/Containerfile" -t "$tag" "$ctx" >/dev/null
mkdir -p "$(dirname -- "$OUT")"
rm -f -- "$OUT"
"${buildah[@]}" push --quiet --format oci --digestfile "$ctx/digest" "$tag" "oci-archive:$OUT:hingraph:$VERSION"
"${buildah[@]}" rmi "$tag" >/dev/null
digest=$(cat "$ctx/digest")
printf '%s\n' "$digest" >"${OUT%.oci.tar}.digest"
log "wrote $OUT ($(du -h "$OUT" | cut -f1)), image digest $digest"
printf '%s %s\n' "$digest" "$OUT"
