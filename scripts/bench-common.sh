# Sourced by the bench scripts: the release binary, a home of its own in a temporary folder (no
# ARCHBENCH_* variable of the caller), a tmux socket name, the bench's loopback model server, and
# everything stopped and removed on exit. Run from the repository's root.
cargo build --release --quiet
bin=$PWD/target/release/archbench
work=$(mktemp -d)
socket="archbench-bench-$$"
server=""
cleanup() {
  tmux -L "$socket" kill-server 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  # A late write from a process being stopped can make the first removal fail.
  rm -rf "$work" 2>/dev/null || rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$work"/{home,data,config,state,cache}
export HOME=$work/home XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config \
  XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
while read -r name; do unset "$name"; done < <(compgen -e | grep '^ARCHBENCH_' || true)

screen() { tmux -L "$socket" capture-pane -p -t 0 2>/dev/null; }

# serve TOKENS [RATE]: (re)starts the corpus server, paced at RATE tokens a second when given;
# sets $url.
serve() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; fi
  rm -f "$work/url"
  if [ -n "${2:-}" ]; then
    "$bin" bench --serve "$1" --paced --rate "$2" >"$work/url" &
  else
    "$bin" bench --serve "$1" >"$work/url" &
  fi
  server=$!
  until [ -s "$work/url" ]; do sleep 0.1; done
  url=$(head -1 "$work/url")
}
