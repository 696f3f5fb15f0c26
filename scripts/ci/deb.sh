#!/usr/bin/env bash
# Builds the Debian package with cargo-deb (release), installs it with dpkg
# into a clean directory tree (never the machine's own root), and checks the
# result as an operator would meet it: every file where it belongs
# (dpkg -c), the installed `csrkit --version`, `man -l` on every installed
# page, the installed bash completion, /var/lib/csrkit, the renewal timer
# enabled and the service not, the units through `systemd-analyze verify`,
# the cron line, and removal and purge (which keep certificate directories).
#
# The man pages and completion scripts are made by the release binary itself
# (`csrkit man --out-dir`, `csrkit completions`) just before cargo-deb packs
# them. Leaves target/debian/csrkit_*.deb behind.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
# dpkg looks for ldconfig and start-stop-daemon on PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export CARGO_TERM_COLOR=never
started=$SECONDS
step() { echo "-- $1 ($((SECONDS - started)) s)"; }
fail() { echo "deb.sh: $*" >&2; exit 1; }

# Tools: systemd-analyze (systemd), man (man-db), groff (groff-base),
# dpkg-shlibdeps for cargo-deb's $auto dependencies (dpkg-dev).
missing=()
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v man >/dev/null || missing+=(man-db)
command -v groff >/dev/null || missing+=(groff-base)
command -v dpkg-shlibdeps >/dev/null || missing+=(dpkg-dev)
command -v deb-systemd-helper >/dev/null || missing+=(init-system-helpers)
[ -r /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
# cargo-deb 3.8, built once into $CARGO_HOME/bin and kept there across runs
# (about 1.5 CPU-minutes to build).
if ! cargo deb --version 2>/dev/null | grep -q '^cargo-deb 3\.8\.'; then
    step "cargo install cargo-deb 3.8"
    cargo install --locked --quiet cargo-deb --version '~3.8'
fi

step "release build"
cargo build --release --locked -p csrkit
bin="$target/release/csrkit"
version="$("$bin" --version)"
version="${version#csrkit }"

step "man pages and completions from the release binary"
pkg="$target/release/csrkit-pkg"
rm -rf "$pkg"
mkdir -p "$pkg/completions"
"$bin" man --out-dir "$pkg/man" >/dev/null
# Compressed as Debian policy asks (cargo-deb leaves files under target/
# alone); -n keeps the package reproducible.
gzip -9n "$pkg"/man/*.1
"$bin" completions bash >"$pkg/completions/csrkit.bash"
"$bin" completions zsh >"$pkg/completions/_csrkit"
"$bin" completions fish >"$pkg/completions/csrkit.fish"
pages=()
for page in "$pkg"/man/*.1.gz; do pages+=("$(basename "$page" .gz)"); done
[ ${#pages[@]} -ge 10 ] || fail "only ${#pages[@]} man pages were made"

step "cargo deb"
rm -rf "$target/debian"
cargo deb -p csrkit --no-build --strip --locked
debs=("$target"/debian/csrkit_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one package, found: ${debs[*]}"
deb="${debs[0]}"
echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB"

step "what the package holds (dpkg -c)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
expected="$work/expected"
{
    echo "./usr/bin/csrkit"
    for page in "${pages[@]}"; do echo "./usr/share/man/man1/$page.gz"; done
    echo "./usr/share/bash-completion/completions/csrkit"
    echo "./usr/share/zsh/vendor-completions/_csrkit"
    echo "./usr/share/fish/vendor_completions.d/csrkit.fish"
    # cargo-deb 3.8 installs units in /usr/lib/systemd/system, as debhelper
    # does since Debian 13; on merged-/usr systems (Debian 12 and later)
    # /lib/systemd/system is the same directory.
    echo "./usr/lib/systemd/system/csrkit-renew.service"
    echo "./usr/lib/systemd/system/csrkit-renew.timer"
    echo "./etc/cron.d/csrkit"
    echo "./usr/share/doc/csrkit/README.md"
    echo "./usr/share/doc/csrkit/copyright"
} | sort >"$expected"
# Every file is expected and every expected file is there (directories
# aside); the binary is executable, nothing else is.
dpkg -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sort >"$work/files"
diff -u "$expected" "$work/files" || fail "the package's files differ from the list above"
dpkg -c "$deb" | awk '$1 !~ /^d/ && $1 != "-rw-r--r--" && $6 != "./usr/bin/csrkit" { print; bad = 1 } END { exit bad }' \
    || fail "a file other than the binary is not mode 0644"
dpkg -c "$deb" | grep -Eq '^-rwxr-xr-x (root/root|0/0) .* \./usr/bin/csrkit$' || fail "/usr/bin/csrkit is not 0755 root"
[ "$(dpkg-deb -f "$deb" Package)" = csrkit ] || fail "Package is not csrkit"
case "$(dpkg-deb -f "$deb" Version)" in "$version"-*) ;; *) fail "Version is not $version-N" ;; esac
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail "Depends lacks libc6"
dpkg-deb -f "$deb" Depends | grep -q 'ca-certificates' || fail "Depends lacks ca-certificates"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/cron.d/csrkit "$work/control/conffiles" || fail "/etc/cron.d/csrkit is not a conffile"

step "dpkg -i into a clean directory tree"
tree="$work/root"
mkdir -p "$tree/var/lib/dpkg/info" "$tree/var/lib/dpkg/updates" "$tree/var/log"
touch "$tree/var/lib/dpkg/status"
# The maintainer scripts run on this machine with DPKG_ROOT=$tree (there is
# no shell inside the tree to chroot into); they touch only $tree.
# --force-depends: the tree holds no libc6 or ca-certificates package.
dpkg_tree() { dpkg --root="$tree" --force-script-chrootless --force-depends "$@"; }
dpkg_tree -i "$deb"
dpkg --root="$tree" -s csrkit | grep -qx 'Status: install ok installed' || fail "csrkit is not installed in the tree"

step "the installed binary, pages and completions"
installed="$("$tree/usr/bin/csrkit" --version)"
[ "$installed" = "csrkit $version" ] || fail "installed csrkit --version says: $installed"
echo "$installed"
for page in "${pages[@]}"; do
    for locale in C.UTF-8 C; do
        out="$(LC_ALL=$locale MANWIDTH=80 man --warnings=w -l "$tree/usr/share/man/man1/$page.gz" 2>"$work/man.err")"
        [ ! -s "$work/man.err" ] || fail "man -l $page ($locale): $(cat "$work/man.err")"
        grep -q '^NAME' <<<"$out" || fail "man -l $page ($locale) rendered no NAME section"
    done
done
# man finds the pages by name in the tree's man path.
for name in csrkit csrkit-apply csrkit-man; do
    MANPATH="$tree/usr/share/man" man -w "$name" | grep -qx "$tree/usr/share/man/man1/$name.1.gz" \
        || fail "man -w $name does not find the installed page"
done
# bash-completion finds the installed script by the command's name the first
# time csrkit is completed, as in an operator's shell (XDG_DATA_DIRS points
# its search at the tree).
spec="$(XDG_DATA_DIRS="$tree/usr/share" bash --norc --noprofile -c \
    ". /usr/share/bash-completion/bash_completion; _completion_loader csrkit; complete -p csrkit")"
[[ "$spec" == *"-F _csrkit"*" csrkit" ]] || fail "bash-completion does not load the installed script: $spec"

step "/var/lib/csrkit and the renewal timer"
[ -d "$tree/var/lib/csrkit" ] || fail "/var/lib/csrkit was not created"
[ "$(stat -c %a "$tree/var/lib/csrkit")" = 700 ] || fail "/var/lib/csrkit is not mode 0700"
wants="$tree/etc/systemd/system/timers.target.wants/csrkit-renew.timer"
[ "$(readlink "$wants")" = /usr/lib/systemd/system/csrkit-renew.timer ] || fail "csrkit-renew.timer is not enabled"
if find "$tree/etc/systemd/system" -name 'csrkit-renew.service' | grep -q .; then
    fail "csrkit-renew.service is enabled; only the timer starts it"
fi

step "the service's command, as the unit runs it, in /var/lib/csrkit"
# ExecStart= and WorkingDirectory= of the installed unit, run with the tree's
# binary and directory, without credentials (env -i): in the empty directory
# nothing is due, so renew exits 0 without asking for any. Then with a
# certificate made there by the installed binary's in-process sandbox: not
# due (exit 0, no order), and --force renews it into generation 2.
unit="$tree/usr/lib/systemd/system/csrkit-renew.service"
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
workdir="$(sed -n 's/^WorkingDirectory=//p' "$unit")"
[ "$exec_start" = "/usr/bin/csrkit renew --no-random-sleep" ] || fail "ExecStart is: $exec_start"
[ "$workdir" = /var/lib/csrkit ] || fail "WorkingDirectory is: $workdir"
renew_cmd="${exec_start//\/usr\/bin\/csrkit/$tree/usr/bin/csrkit}"
state="$tree$workdir"
in_state() { (cd "$state" && env -i PATH=/usr/bin:/bin HOME="$work" "$@" </dev/null); }
in_state $renew_cmd >"$work/renew.out" 2>"$work/renew.err" \
    || fail "$exec_start in an empty $workdir: $(cat "$work/renew.out" "$work/renew.err")"
grep -q 'no certificate directories' "$work/renew.err" || fail "renew said: $(cat "$work/renew.err")"
in_state "$tree/usr/bin/csrkit" apply --sandbox --domain www.example.com >/dev/null 2>"$work/apply.err" \
    || fail "apply --sandbox: $(cat "$work/apply.err")"
in_state $renew_cmd >"$work/renew.out" 2>"$work/renew.err" || fail "renew: $(cat "$work/renew.err")"
grep -q '^www.example.com: not due' "$work/renew.out" || fail "renew said: $(cat "$work/renew.out")"
in_state $renew_cmd --force >"$work/renew.out" 2>"$work/renew.err" || fail "renew --force: $(cat "$work/renew.err")"
grep -q '^www.example.com: renewed .*generation 2' "$work/renew.out" || fail "renew --force said: $(cat "$work/renew.out")"
[ "$(readlink "$state/www.example.com/current")" = generations/2 ] || fail "current is not generation 2"
rm -r "$state/www.example.com"

step "systemd-analyze verify (the installed units, binary and man page)"
# Verified against a root that holds the installed tree plus this machine's
# own units (sysinit.target and the rest a unit's default dependencies
# need); Documentation=man:csrkit(1) is looked up in the tree's man path.
vroot="$work/verify-root"
cp -a "$tree" "$vroot"
units=/usr/lib/systemd/system
for unit in /lib/systemd/system/*; do
    [ -e "$vroot$units/$(basename "$unit")" ] || cp -a "$unit" "$vroot$units/"
done
MANPATH="$tree/usr/share/man" systemd-analyze verify --root="$vroot" \
    "$units/csrkit-renew.timer" "$units/csrkit-renew.service" >"$work/verify" 2>&1 \
    || fail "systemd-analyze verify: $(cat "$work/verify")"
[ ! -s "$work/verify" ] || fail "systemd-analyze verify warned: $(cat "$work/verify")"
systemd-analyze security --offline=true --root="$tree" csrkit-renew.service 2>&1 | tail -n 1

step "the cron line"
# /etc/cron.d format: five time fields, a user, a command. The command runs
# here with /usr/bin/csrkit, /var/lib/csrkit and /etc/default/csrkit moved
# into the tree and sleep and csrkit recorded instead of run (renew itself is
# tested with the binary).
line="$(grep -v '^#' "$tree/etc/cron.d/csrkit" | grep -v '=' | grep .)"
[ "$(wc -l <<<"$line")" = 1 ] || fail "the cron file has more than one job: $line"
read -r minute hour dom month dow user command <<<"$line"
[ "$minute $hour $dom $month $dow $user" = "0 */12 * * * root" ] || fail "cron schedule: $line"
[[ "$command" != *%* ]] || fail "a % in a cron command ends it"
shims="$work/shims"
mkdir -p "$shims"
printf '#!/bin/sh\necho "sleep $*" >>"%s/ran"\n' "$work" >"$shims/sleep"
printf '#!/bin/sh\necho "csrkit $* in $(pwd) with ${ALIBABA_CLOUD_ACCESS_KEY_ID:-}" >>"%s/ran"\n' "$work" >"$shims/csrkit"
chmod +x "$shims/sleep" "$shims/csrkit"
mkdir -p "$tree/etc/default"
echo 'ALIBABA_CLOUD_ACCESS_KEY_ID=from-etc-default' >"$tree/etc/default/csrkit"
command="${command//\/usr\/bin\/csrkit/$tree/usr/bin/csrkit}"
command="${command//\/var\/lib\/csrkit/$tree/var/lib/csrkit}"
command="${command//\/etc\/default\/csrkit/$tree/etc/default/csrkit}"
command="${command//\/run\/systemd\/system/$work/no-systemd}"
env -i PATH="$shims:/usr/bin:/bin" sh -c "$command" || fail "the cron command failed: $command"
rm "$tree/etc/default/csrkit"
seconds="$(sed -n 's/^sleep //p' "$work/ran")"
[ "$seconds" -ge 0 ] && [ "$seconds" -lt 43200 ] || fail "cron slept $seconds s"
grep -qx "csrkit renew --no-random-sleep in $tree/var/lib/csrkit with from-etc-default" "$work/ran" \
    || fail "the cron command ran: $(cat "$work/ran")"
# Where systemd runs, the line does nothing: the timer does the work.
: >"$work/ran"
mkdir "$work/systemd-runs"
env -i PATH="$shims:/usr/bin:/bin" sh -c "${command//$work\/no-systemd/$work/systemd-runs}" || true
[ ! -s "$work/ran" ] || fail "the cron line ran although systemd runs: $(cat "$work/ran")"

step "dpkg -r, then --purge, keep certificate directories"
mkdir -p "$tree/var/lib/csrkit/example.com"
echo key >"$tree/var/lib/csrkit/example.com/privkey.pem"
dpkg_tree -r csrkit
[ ! -e "$tree/usr/bin/csrkit" ] || fail "dpkg -r left /usr/bin/csrkit"
[ ! -e "$wants" ] || fail "dpkg -r left the timer enabled"
[ -e "$tree/etc/cron.d/csrkit" ] || fail "dpkg -r removed a conffile (only --purge does)"
dpkg_tree --purge csrkit
[ ! -e "$tree/etc/cron.d/csrkit" ] || fail "dpkg --purge left /etc/cron.d/csrkit"
[ -f "$tree/var/lib/csrkit/example.com/privkey.pem" ] || fail "dpkg --purge deleted a certificate directory"
rm -r "$tree/var/lib/csrkit/example.com"
dpkg_tree -i "$deb"
dpkg_tree --purge csrkit
[ ! -e "$tree/var/lib/csrkit" ] || fail "dpkg --purge left an empty /var/lib/csrkit"
left="$(find "$tree" -path "$tree/var/lib/dpkg" -prune -o -path "$tree/var/log" -prune -o \
    \( -type f -o -type l \) -print)"
[ -z "$left" ] || fail "dpkg --purge left: $left"

step "done: $(basename "$deb")"
