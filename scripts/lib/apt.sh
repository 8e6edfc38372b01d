# Shared by scripts/setup.d and scripts/run.d: install Debian packages when missing.
apt_install() {
  if command -v apt-get >/dev/null && [[ "$(id -u)" == "0" ]]; then
    echo "[setup] installing $* with apt"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "[setup] missing $*: install them (apt-get install $*)" >&2
    return 1
  fi
}
