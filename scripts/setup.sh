#!/usr/bin/env bash
# Installs what archbench needs to build and test on Debian: a C/C++ toolchain, cmake and libclang
# for llama.cpp, tmux and openssh for the end-to-end tests, python3 with pip for the model
# download, PostgreSQL and its contrib for the SQL check, and Rust when it is missing. Safe to
# run again: it installs only what is absent.
set -euo pipefail

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v c++ >/dev/null || need+=(g++)
command -v tmux >/dev/null || need+=(tmux)
# The ssh end-to-end test starts its own sshd on a loopback port.
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v git >/dev/null || need+=(git)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
# The tests make a team store's certificates with it (a private authority, as a team has).
command -v openssl >/dev/null || need+=(openssl)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
# bindgen needs libclang itself (libclang.so or libclang-N.so); libclang-cpp, which other packages
# bring, is a different library and does not do.
have_libclang() {
  compgen -G '/usr/lib/llvm-*/lib/libclang.so*' >/dev/null ||
    compgen -G '/usr/lib/*/libclang.so*' >/dev/null ||
    compgen -G '/usr/lib/*/libclang-[0-9]*.so*' >/dev/null
}
have_libclang || need+=(libclang-dev clang)
# The SQL check applies the agent's SQL to a throwaway PostgreSQL archbench starts itself; the
# contrib package brings the extensions designs use (pgcrypto, citext, btree_gist, pg_trgm…).
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql postgresql-contrib)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  # Debian's package would create and start a cluster of its own on port 5432: archbench needs
  # only the binaries, so no cluster is made.
  if [[ " ${need[*]} " == *" postgresql "* ]]; then
    "${sudo_cmd[@]}" mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" |
      "${sudo_cmd[@]}" tee /etc/postgresql-common/createcluster.d/archbench.conf >/dev/null
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    :
  else
    echo "setup: installing Rust with rustup" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy -c rustfmt
  fi
fi
