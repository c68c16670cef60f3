#!/usr/bin/env bash
# Installs the IETF/IANA MIB set (Debian's snmp-mibs-downloader, section non-free) without touching /etc/apt.
# The package ships the RFC/IANA sources and installs offline: /var/lib/mibs/{ietf,iana},
# linked from /usr/share/snmp/mibs/{ietf,iana}. Idempotent: does nothing when already installed.
set -euo pipefail

if dpkg-query -W -f='${Status}' snmp-mibs-downloader 2>/dev/null | grep -q 'install ok installed' \
  && [ -d /usr/share/snmp/mibs/ietf ] && [ -d /usr/share/snmp/mibs/iana ]; then
  echo "snmp-mibs-downloader already installed"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/parts" "$T/lists/partial" "$T/cache/archives/partial" "$T/deb"

# Same mirror as the system's main sources (first URIs: line), non-free component only.
URI="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
URI="${URI:-http://deb.debian.org/debian}"
SUITE="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
cat > "$T/parts/non-free.sources" <<SRC
Types: deb
URIs: $URI
Suites: $SUITE
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

APT_OPTS=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$T/parts"
  -o "Dir::State::Lists=$T/lists" -o "Dir::Cache=$T/cache")
apt-get "${APT_OPTS[@]}" update -q
(cd "$T/deb" && apt-get "${APT_OPTS[@]}" download snmp-mibs-downloader)
# Dependencies (e.g. smistrip/libsnmp-base) come from the normal sources.
apt-get install -y -q --no-install-recommends "$T"/deb/snmp-mibs-downloader_*.deb

test -d /usr/share/snmp/mibs/ietf || { echo "install-mibs: /usr/share/snmp/mibs/ietf missing after install" >&2; exit 1; }
echo "IETF: $(ls /usr/share/snmp/mibs/ietf | wc -l) files, IANA: $(ls /usr/share/snmp/mibs/iana | wc -l) files"
