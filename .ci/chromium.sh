# Sourced by .ci/run: installs Debian's Chromium and chromedriver for the tests marked `browser`
# (tests/ui), only when they are missing. Usable by hand too: `source .ci/chromium.sh`.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) || return 1
fi
chromium --version >/dev/null 2>&1 || return 1
