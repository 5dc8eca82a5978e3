# Sourced by sdk-gen/generate and sdk-gen/test (from the repository root): installs the
# pinned tools they use, each only when it is missing or its pin changed, so a warm
# machine pays a few file checks. Everything lands in gitignored places: node_modules/,
# .venv/ and sdk-gen/.tools/.

readonly PROTOC_GEN_GO_VERSION=v1.36.12
readonly PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
readonly SDK_TOOLS=sdk-gen/.tools
readonly SDK_VENV=.venv

# npm ci, unless node_modules was installed from this very package-lock.json.
ensure_node_modules() {
  [[ -x node_modules/.bin/buf ]] && cmp -s package-lock.json node_modules/.janua-package-lock.json && return
  echo "    npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.janua-package-lock.json
}

# protoc-gen-go and protoc-gen-go-grpc at their pins, in sdk-gen/.tools/bin.
ensure_go_plugins() {
  local bin=$PWD/$SDK_TOOLS/bin
  if [[ $("$bin/protoc-gen-go" --version 2>/dev/null) != "protoc-gen-go $PROTOC_GEN_GO_VERSION" ]]; then
    echo "    go install protoc-gen-go@$PROTOC_GEN_GO_VERSION"
    GOBIN=$bin go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
  fi
  if [[ $("$bin/protoc-gen-go-grpc" --version 2>/dev/null) != "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION#v}" ]]; then
    echo "    go install protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
    GOBIN=$bin go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
  fi
}

# The virtualenv .venv (shared with tests/run's peers) with sdk-gen/requirements.txt.
ensure_python_tools() {
  local python out
  # pyenv's python3 is off the PATH of a non-interactive shell; prefer it when it works.
  python=${HOME:-/root}/.pyenv/shims/python3
  "$python" -c '' 2>/dev/null || python=$(command -v python3) ||
    { echo "python3 is required" >&2; return 1; }
  if [[ ! -x $SDK_VENV/bin/python ]]; then
    echo "    python3 -m venv $SDK_VENV"
    "$python" -m venv "$SDK_VENV"
  fi
  cmp -s sdk-gen/requirements.txt "$SDK_VENV/.janua-sdk-requirements.txt" && return
  echo "    pip install -r sdk-gen/requirements.txt"
  out=$("$SDK_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r sdk-gen/requirements.txt 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
  cp sdk-gen/requirements.txt "$SDK_VENV/.janua-sdk-requirements.txt"
}

# Debian's Chromium, for the browser test (never a browser download of a test tool's own).
ensure_chromium() {
  dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed' && return
  echo "    apt-get install chromium"
  local sudo=() out
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  out=$(export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq 2>&1 &&
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium 2>&1) ||
    { printf '%s\n' "$out" >&2; return 1; }
}
