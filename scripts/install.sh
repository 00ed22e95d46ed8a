#!/usr/bin/env bash
# Installs tokenledgerd for systemd: the release binary, the unit, the sysusers.d and tmpfiles.d
# snippets, the ledger inputs, the documentation and, when none exists yet, the configuration
# file. Prints each file it writes and the commands that activate the service.
#
#   PREFIX   where the binary and shared files go (default /usr/local)
#   DESTDIR  staging root prepended to every path, for packaging (default: none)
#   BINARY   a tokenledgerd binary to install instead of building one
#
# The configuration file always goes to $DESTDIR/etc/tokenledgerd/, the path the binary reads.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="${PREFIX:-/usr/local}"
destdir="${DESTDIR:-}"
prefix="${prefix%/}"
if [[ "$prefix" != /* ]]; then
    echo "install.sh: PREFIX must be an absolute path, got '$prefix'" >&2
    exit 2
fi

binary="${BINARY:-}"
if [ -z "$binary" ]; then
    # A static Swift standard library makes the binary independent of the toolchain's location.
    swift build -c release --product tokenledgerd --static-swift-stdlib
    binary="$(swift build -c release --static-swift-stdlib --show-bin-path)/tokenledgerd"
fi
if [ ! -x "$binary" ]; then
    echo "install.sh: binary '$binary' is missing or not executable; build it or set BINARY" >&2
    exit 1
fi

# Copies $1 to $DESTDIR$2 with mode $3 and prints it.
put() {
    install -D -m "$3" "$1" "$destdir$2"
    echo "installed $destdir$2"
}

# Copies $1 to $DESTDIR$2 with mode $3, with /usr/local replaced by $PREFIX, and prints it.
put_with_prefix() {
    local temporary
    temporary="$(mktemp)"
    sed "s|/usr/local/|$prefix/|g" "$1" >"$temporary"
    install -D -m "$3" "$temporary" "$destdir$2"
    rm -f "$temporary"
    echo "installed $destdir$2"
}

put "$binary" "$prefix/bin/tokenledgerd" 0755
put_with_prefix systemd/tokenledgerd.service "$prefix/lib/systemd/system/tokenledgerd.service" 0644
put systemd/tokenledgerd.sysusers "$prefix/lib/sysusers.d/tokenledgerd.conf" 0644
put systemd/tokenledgerd.tmpfiles "$prefix/lib/tmpfiles.d/tokenledgerd.conf" 0644
put ledger/pricing.json "$prefix/share/tokenledgerd/pricing.json" 0644
put ledger/models_normalized.csv "$prefix/share/tokenledgerd/models_normalized.csv" 0644
put_with_prefix systemd/tokenledgerd.conf "$prefix/share/doc/tokenledgerd/tokenledgerd.conf.example" 0644
put docs/configuration.md "$prefix/share/doc/tokenledgerd/configuration.md" 0644
put docs/operations.md "$prefix/share/doc/tokenledgerd/operations.md" 0644
put_with_prefix systemd/tokenledgerd-pull.service "$prefix/lib/systemd/system/tokenledgerd-pull.service" 0644
put docs/cliproxyapi.md "$prefix/share/doc/tokenledgerd/cliproxyapi.md" 0644

config="/etc/tokenledgerd/tokenledgerd.conf"
if [ -e "$destdir$config" ]; then
    echo "kept $destdir$config (exists; the new example is in $destdir$prefix/share/doc/tokenledgerd/)"
else
    put_with_prefix systemd/tokenledgerd.conf "$config" 0644
fi

if [ "$prefix" != "/usr/local" ] && [ "$prefix" != "/usr" ]; then
    echo "note: systemd looks for units, sysusers.d and tmpfiles.d only under /etc, /run, /usr/local/lib"
    echo "      and /usr/lib; link or copy them from $prefix/lib for systemd to find them"
fi
cat <<NEXT

To activate (as root, on the target machine):
  systemd-sysusers tokenledgerd.conf
  systemd-tmpfiles --create tokenledgerd.conf
  usermod -aG tokenledgerd-spool <the proxy's user>
  tokenledgerd check-config
  systemctl daemon-reload
  systemctl enable --now tokenledgerd

To ship CLIProxyAPI's usage queue into the spool as well (docs/cliproxyapi.md):
  install -m 0600 /dev/null /etc/tokenledgerd/management-key   # then write the proxy's management key into it
  systemctl enable --now tokenledgerd-pull
NEXT
