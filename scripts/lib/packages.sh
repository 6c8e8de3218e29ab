# Sourced by scripts/setup.sh and scripts/fuzz.sh: quiet steps that explain their failure, and
# the installation of missing Debian packages. The caller sets `who` (the message prefix) and
# `log` (a temporary file for a step's output).

# step "what" "hint" COMMAND...: runs COMMAND quietly; on failure shows its output and the hint.
step() {
  local what=$1 hint=$2
  shift 2
  local status=0
  "$@" >"$log" 2>&1 || status=$?
  if ((status != 0)); then
    tail -n 60 "$log" >&2
    echo "$who: FAILED: $what (exit status $status)" >&2
    echo "$who: what to do: $hint" >&2
    exit 1
  fi
}

# install_missing PACKAGE...: apt-get installs those not installed (as root, or with sudo).
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "$who: installing ${missing[*]}"
  local sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "$who: FAILED: packages missing (${missing[*]}) and not root" >&2
      echo "$who: what to do: as root, apt-get install ${missing[*]}" >&2
      exit 1
    }
    sudo_cmd=(sudo)
  fi
  step "apt-get update" "check the network and /etc/apt/sources.list, then run again" \
    "${sudo_cmd[@]}" apt-get update
  step "apt-get install ${missing[*]}" \
    "this needs Debian 12 (bookworm) with its main archive; see the apt-get output above" \
    env DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}
