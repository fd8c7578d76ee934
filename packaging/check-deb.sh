#!/usr/bin/env bash
# Build the Debian package with cargo-deb and check what a user would get from it: exactly the
# files we mean to ship (nothing from the build leaking in), with their modes and owners; a
# binary that runs; man pages gzipped (Debian policy) that man renders without a warning; the
# completions byte-for-byte the checked-in ones; Depends only on libc.
#
#   bash packaging/check-deb.sh [CARGO-DEB ARGS...]
#
# Arguments go to `cargo deb` (the release workflow passes `--no-build --target TRIPLE` to
# package the binary it already built). Without cargo-deb, dpkg-deb or man the check says
# SKIPPED and passes; under CI=true it fails instead, as the tests do.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: a new cargo-deb can change the layout (it once started gzipping man pages itself);
# bump deliberately and re-read this check's output.
cargo_deb_version=3.8.0

skip() {
  if [[ ${CI:-} == true ]]; then
    echo "check-deb: $1 (a failure under CI=true)" >&2
    exit 1
  fi
  echo "check-deb: SKIPPED: $1" >&2
  exit 0
}
fail() {
  echo "check-deb: $*" >&2
  exit 1
}

for tool in dpkg-deb man gzip; do
  command -v "$tool" >/dev/null || skip "needs $tool (Debian: apt-get install dpkg man-db gzip)"
done
if [[ $(cargo deb --version 2>/dev/null) != "cargo-deb $cargo_deb_version" ]]; then
  echo "check-deb: installing cargo-deb $cargo_deb_version"
  cargo install cargo-deb --version "$cargo_deb_version" --locked --quiet ||
    skip "could not install cargo-deb $cargo_deb_version"
fi

# cargo-deb prints the package's path as the last line on stdout.
deb=$(cargo deb --locked "$@" | tail -n 1)
[[ -f $deb ]] || fail "cargo deb did not say where the package is (got: $deb)"
echo "check-deb: $deb"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# What the package must hold, path and mode; the man pages are whatever man/ holds, so a new
# subcommand's page needs no edit here.
declare -A want=(
  [usr/bin/pointauth]=-rwxr-xr-x
  [usr/share/bash-completion/completions/pointauth]=-rw-r--r--
  [usr/share/zsh/vendor-completions/_pointauth]=-rw-r--r--
  [usr/share/fish/vendor_completions.d/pointauth.fish]=-rw-r--r--
  [usr/share/doc/pointauth/copyright]=-rw-r--r--
  [usr/share/doc/pointauth/README.md]=-rw-r--r--
  [usr/share/doc/pointauth/changelog.gz]=-rw-r--r--
)
for page in man/*.1; do
  want[usr/share/man/man1/${page#man/}.gz]=-rw-r--r--
done

dpkg-deb -c "$deb" >"$tmp/contents"
cat "$tmp/contents"
problems=()
declare -A seen=()
while read -r mode owner _size _date _time path rest; do
  path=${path#./}
  [[ -z $rest ]] || problems+=("unexpected entry: $path $rest")
  [[ $owner == 0/0 ]] || problems+=("$path is owned by $owner, not root")
  if [[ $mode == d* ]]; then
    [[ $mode == drwxr-xr-x ]] || problems+=("directory $path has mode $mode")
    # A directory is expected when something expected lies below it.
    found=
    for file in "${!want[@]}"; do [[ $file == "$path"* ]] && found=1 && break; done
    [[ -n $found ]] || problems+=("unexpected directory: $path")
  elif [[ -n ${want[$path]:-} ]]; then
    seen[$path]=1
    [[ $mode == "${want[$path]}" ]] || problems+=("$path has mode $mode, not ${want[$path]}")
  else
    problems+=("unexpected file: $path ($mode)")
  fi
done <"$tmp/contents"
for file in "${!want[@]}"; do
  [[ -n ${seen[$file]:-} ]] || problems+=("missing: $file")
done

depends=$(dpkg-deb -f "$deb" Depends)
[[ $depends =~ ^libc6\ \(\>=\ [0-9.]+\)$ ]] ||
  problems+=("Depends should be libc alone (libdbus is vendored), got: $depends")
[[ $(dpkg-deb -f "$deb" Version) == "$version"-* ]] ||
  problems+=("package version $(dpkg-deb -f "$deb" Version) is not $version")

root=$tmp/root
dpkg-deb -x "$deb" "$root"
# A clean environment: the packaged binary must not lean on anything of the build's.
run() { env -i PATH=/usr/bin:/bin HOME="$tmp/home" "$root/usr/bin/pointauth" "$@"; }
got=$(run --version) || problems+=("pointauth --version failed")
[[ $got == "pointauth $version" ]] || problems+=("pointauth --version said: $got")
run --help >"$tmp/help" || problems+=("pointauth --help failed")
grep -q '^Usage: pointauth' "$tmp/help" || problems+=("pointauth --help shows no usage line")

for page in man/*.1; do
  gz=$root/usr/share/man/man1/${page#man/}.gz
  [[ -f $gz ]] || continue # reported above
  if ! gzip -t "$gz" 2>/dev/null; then
    problems+=("${gz#"$root"/} is not gzip")
    continue
  fi
  cmp -s <(gzip -dc "$gz") "$page" || problems+=("${gz#"$root"/} is not $page")
  MANWIDTH=80 MANPAGER=cat man --warnings -l "$gz" >"$tmp/page" 2>"$tmp/warnings" ||
    problems+=("man -l ${gz#"$root"/} failed")
  [[ ! -s $tmp/warnings ]] || problems+=("man warns on ${gz#"$root"/}: $(head -n 3 "$tmp/warnings")")
  grep -q '^NAME' "$tmp/page" || problems+=("man -l ${gz#"$root"/} shows no NAME section")
done
for pair in pointauth.bash:bash-completion/completions/pointauth _pointauth:zsh/vendor-completions/_pointauth \
  pointauth.fish:fish/vendor_completions.d/pointauth.fish; do
  shipped=$root/usr/share/${pair#*:}
  [[ ! -f $shipped ]] || cmp -s "completions/${pair%%:*}" "$shipped" ||
    problems+=("usr/share/${pair#*:} is not completions/${pair%%:*}")
done

if ((${#problems[@]})); then
  printf 'check-deb: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "check-deb: ok, ${#want[@]} files; pointauth --version: $got"
