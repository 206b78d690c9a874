#!/usr/bin/env bash
# Install what the real-VS-Code suites (`npm run test:vscode`, `npm run test:e2e`) need on a
# Debian machine, from Debian apt and the npm registry only:
#
#   1. apt: compilers/headers for code-server's native modules, ripgrep, curl,
#      Debian's chromium and fonts (the e2e browser; playwright-core downloads nothing);
#   2. code-server (VS Code 1.100.3 server + workbench) into a cache folder outside the repo:
#      ${CODECRAFT_CACHE:-$HOME/.cache/codecraft-vscode}/code-server-$CS_VERSION;
#   3. the npm dev dependencies (`npm ci` when node_modules is missing or does not match
#      package-lock.json).
#
# Idempotent: each step is skipped when already done (dpkg status, a stamp file holding the
# installed code-server version, the lockfile check), so a second run takes about a second.
#
# Env: CODECRAFT_CACHE, CS_VERSION (4.100.3: the last code-server whose engines.node is 20),
#      APT=0 to skip apt-get (packages baked into the image), SKIP_NPM_CI=1.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CS_VERSION="${CS_VERSION:-4.100.3}"
CACHE="${CODECRAFT_CACHE:-$HOME/.cache/codecraft-vscode}"
CS_DIR="$CACHE/code-server-$CS_VERSION"
APT="${APT:-1}"

t_all=$SECONDS
log() { printf '[setup-e2e %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { printf '[setup-e2e] ERROR: %s\n' "$*" >&2; exit 1; }

# --- 0. basics -------------------------------------------------------------------------------
command -v node >/dev/null || die "node is not on PATH (Node 20 is required: code-server $CS_VERSION is built for Node 20)"
command -v npm >/dev/null || die "npm is not on PATH"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || die "node $(node -v) found, but code-server $CS_VERSION needs Node 20"
# node-gyp takes headers from the local Node install (Debian/NodeSource /usr/include/node), not nodejs.org
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

# --- 1. Debian packages ----------------------------------------------------------------------
# build-essential/pkg-config/python3: node-gyp; libkrb5-dev: kerberos (gssapi headers);
# libx11/libxkbfile/libsecret: native-keymap & co; ripgrep replaces @vscode/ripgrep's GitHub
# download; curl: health checks; chromium + fonts: the browser the UI suite drives.
APT_PKGS=(build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev
          ripgrep curl chromium fonts-liberation fonts-dejavu-core)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$APT" = 1 ] || die "missing Debian packages: ${missing[*]} (APT=0 was given, so install them yourself)"
  command -v apt-get >/dev/null || die "missing Debian packages: ${missing[*]}, and apt-get is not available"
  [ "$(id -u)" = 0 ] || SUDO=sudo
  log "apt-get install ${missing[*]}"
  t=$SECONDS
  ${SUDO:-} apt-get update -qq || die "apt-get update failed (no access to the Debian mirror?)"
  DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
  log "apt packages installed in $((SECONDS - t))s"
else
  log "apt packages present"
fi
command -v rg >/dev/null || die "ripgrep (rg) not found after apt (package: ripgrep)"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium not found after apt (package: chromium)"

# --- 2. code-server --------------------------------------------------------------------------
CS_PKG="$CS_DIR/node_modules/code-server"
VS="$CS_PKG/lib/vscode"
if [ -x "$CS_DIR/node_modules/.bin/code-server" ] && [ -f "$VS/node_modules/node-pty/build/Release/pty.node" ] \
   && [ -f "$CS_DIR/.install-complete" ] && grep -qx "$CS_VERSION" "$CS_DIR/.install-complete"; then
  log "code-server $CS_VERSION present in $CS_DIR"
else
  log "installing code-server $CS_VERSION into $CS_DIR (about 100 s: node-gyp builds native modules)"
  t=$SECONDS
  (
    set -euo pipefail
    export npm_config_unsafe_perm=true         # as root, code-server's scripts refuse to run otherwise
    export npm_config_build_from_source=true   # prebuild-install/node-pre-gyp: no prebuilt downloads from GitHub
    export npm_config_yes=true                 # node-pty's install runs `npx node-gyp` (a ~/.npmrc yes=false aborts it)
    export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
    rm -f "$CS_DIR/.install-complete"
    mkdir -p "$CS_DIR" && cd "$CS_DIR"
    [ -f package.json ] || echo '{"name":"codecraft-code-server-host","private":true}' > package.json
    npm install --no-save --ignore-scripts --loglevel=error "code-server@$CS_VERSION" \
      || { echo "npm install code-server@$CS_VERSION failed (npm registry reachable?)" >&2; exit 1; }
    want="$(node -p 'require("./node_modules/code-server/package.json").engines.node')"
    [ "$want" = "$node_major" ] || { echo "code-server $CS_VERSION wants Node $want, node on PATH is $(node -v)" >&2; exit 1; }
    npm rebuild argon2 --loglevel=error || { echo "building argon2 failed (build-essential, python3?)" >&2; exit 1; }
    cd "$VS"
    npm install --omit=dev --ignore-scripts --loglevel=error || { echo "npm install in code-server's lib/vscode failed" >&2; exit 1; }
    # @vscode/ripgrep's postinstall downloads rg from GitHub; it exits 0 when bin/ exists.
    if [ -d node_modules/@vscode/ripgrep ]; then
      mkdir -p node_modules/@vscode/ripgrep/bin
      ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    fi
    JOBS="$(nproc)" npm rebuild --loglevel=error \
      || { echo "building code-server's native modules failed (build-essential, libkrb5-dev, libx11-dev, libxkbfile-dev, libsecret-1-dev?)" >&2; exit 1; }
    # the rest of code-server's postinstall.sh
    if grep -qx '  symlink_asar' "$CS_PKG/postinstall.sh"; then ln -sfn node_modules node_modules.asar; fi
    ( cd bin/remote-cli && ln -sf code-linux.sh code-server )
    ( cd bin/helpers && ln -sf browser-linux.sh browser.sh )
    ( cd extensions && npm install --omit=dev --loglevel=error ) \
      || { echo "npm install of code-server's built-in extension deps failed" >&2; exit 1; }
    node -e 'for (const m of ["node-pty","kerberos","@vscode/spdlog","@parcel/watcher"]) require(m)' \
      || { echo "code-server's native modules do not load" >&2; exit 1; }
    # even --version writes a config.yaml and a log folder: keep them inside CS_DIR
    CODE_SERVER_CONFIG="$CS_DIR/.smoke/config.yaml" XDG_DATA_HOME="$CS_DIR/.smoke" XDG_CONFIG_HOME="$CS_DIR/.smoke" \
      "$CS_DIR/node_modules/.bin/code-server" --version >/dev/null || { echo "code-server --version failed" >&2; exit 1; }
    echo "$CS_VERSION" > "$CS_DIR/.install-complete"
  ) || die "code-server $CS_VERSION could not be installed into $CS_DIR (see the message above)"
  log "code-server installed in $((SECONDS - t))s ($(du -sh "$CS_DIR" | cut -f1))"
fi

# --- 3. npm dev dependencies -----------------------------------------------------------------
cd "$ROOT"
if [ "${SKIP_NPM_CI:-0}" != 1 ]; then
  if node "$ROOT/scripts/check-node-modules.mjs"; then
    log "node_modules matches package-lock.json"
  else
    log "npm ci"
    t=$SECONDS
    # native modules (better-sqlite3) are built with node-gyp against the local Node headers
    # instead of fetching prebuilt binaries from GitHub
    npm_config_build_from_source=true npm ci --no-audit --no-fund --loglevel=error </dev/null || die "npm ci failed (npm registry reachable? package-lock.json in sync?)"
    log "npm ci done in $((SECONDS - t))s"
  fi
fi
node -e 'require.resolve("playwright-core"); require.resolve("@vscode/test-electron"); require.resolve("@vscode/vsce/package.json")' \
  2>/dev/null || die "playwright-core, @vscode/test-electron or @vscode/vsce missing from node_modules (run npm ci)"

log "ready in $((SECONDS - t_all))s: code-server $CS_VERSION ($CS_DIR), $(/usr/bin/chromium --version 2>/dev/null | head -1)"
