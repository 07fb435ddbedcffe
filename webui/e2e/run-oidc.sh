#!/usr/bin/env bash
# The single sign-on browser tests: starts the test OpenID Provider
# (internal/testutil/oidcprovider, built here) and a second Herald configured
# with [oidc] for it, runs the "single sign-on" tests of run.mjs against them,
# and stops both.
#
#   run-oidc.sh HERALD_BIN WORK_DIR [HERALD_PORT [PROVIDER_PORT]]
#
# HERALD_BIN is a built herald binary; WORK_DIR gets the provider's config
# and log and the Herald instance (its own config, data dir and log, made by
# $SHARED/herald/start.sh). The Herald's [oidc] settings come from HERALD_OIDC_*
# environment variables. Needs what run.sh needs (node, Chromium,
# playwright-core).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 HERALD_BIN WORK_DIR [HERALD_PORT [PROVIDER_PORT]]" >&2; exit 2; }
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SHARED="${HERALD_SHARED:-$ROOT/../shared}"
BIN="$1" WORK="$2" PORT="${3:-18082}" OP_PORT="${4:-18093}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
OP_PID=""
cleanup() {
  [ -n "$OP_PID" ] && kill "$OP_PID" 2>/dev/null || true
  "$SHARED/herald/stop.sh" "$WORK/sso-instance" >/dev/null 2>&1 || true
}
trap cleanup EXIT

genpw() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-24; }
ISSUER="http://127.0.0.1:$OP_PORT" BASE="http://localhost:$PORT"
SECRET="$(genpw)" ADA_PW="$(genpw)" BOB_PW="$(genpw)"

(cd "$ROOT" && go build -o "$WORK/oidc-test-provider" ./internal/testutil/oidcprovider/cmd/oidc-test-provider)
(umask 077 && cat >"$WORK/oidc-provider.json" <<JSON
{
  "listen": "127.0.0.1:$OP_PORT",
  "client_id": "herald", "client_secret": "$SECRET",
  "redirect_uris": ["$BASE/auth/oidc/callback"],
  "post_logout_redirect_uris": ["$BASE/"],
  "backchannel_logout_uri": "$BASE/auth/oidc/backchannel_logout",
  "users": [
    {"subject": "e2e-ada", "username": "ada", "password": "$ADA_PW", "email": "ada@staff.example", "email_verified": true,
     "name": "Ada Lovelace", "claims": {"groups": ["herald-users", "herald-admins"]}},
    {"subject": "e2e-bob", "username": "bob", "password": "$BOB_PW", "email": "bob@staff.example", "email_verified": true,
     "name": "Bob Builder", "claims": {"groups": ["herald-users"]}}
  ]
}
JSON
)
"$WORK/oidc-test-provider" -config "$WORK/oidc-provider.json" >"$WORK/oidc-provider.log" 2>&1 &
OP_PID=$!
deadline=$(( $(date +%s) + 30 ))
until curl -sf -o /dev/null --max-time 2 "$ISSUER/.well-known/openid-configuration"; do
  kill -0 "$OP_PID" 2>/dev/null || { echo "run-oidc.sh: the test provider exited" >&2; cat "$WORK/oidc-provider.log" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "run-oidc.sh: the test provider did not start" >&2; exit 1; }
  sleep 0.2
done

# The Herald: password sign-in only for the listed service account (smoke,
# made by start.sh) and owners; the groups claim gives the admin role.
export HERALD_OIDC_ENABLED=true HERALD_OIDC_NAME="Test Provider" HERALD_OIDC_ISSUER="$ISSUER" \
  HERALD_OIDC_CLIENT_ID=herald HERALD_OIDC_CLIENT_SECRET="$SECRET" HERALD_OIDC_ALLOWED_EMAIL_DOMAINS=staff.example \
  HERALD_OIDC_REQUIRED_GROUPS=herald-users HERALD_OIDC_ROLE_CLAIM=groups HERALD_OIDC_ROLE_MAP=herald-admins=admin \
  HERALD_OIDC_PASSWORD_LOGIN=listed HERALD_OIDC_PASSWORD_ACCOUNTS=smoke
SSO_BASE="$("$SHARED/herald/start.sh" "$BIN" "$PORT" "$WORK/sso-instance")"
ADMIN_PW="$(sed -n 's/^HERALD_ADMIN_PASSWORD=//p' "$WORK/sso-instance/passwords.env")"
SMOKE_PW="$(sed -n 's/^SMOKE_PASSWORD=//p' "$WORK/sso-instance/passwords.env")"

status=0
E2E_ONLY="single sign-on" E2E_OIDC_BASE="$SSO_BASE" E2E_OIDC_ISSUER="$ISSUER" \
  E2E_OIDC_ADMIN_USER=ada E2E_OIDC_ADMIN_PASSWORD="$ADA_PW" E2E_OIDC_USER=bob E2E_OIDC_PASSWORD="$BOB_PW" \
  E2E_OIDC_SERVICE_USER=smoke E2E_OIDC_SERVICE_PASSWORD="$SMOKE_PW" \
  "$HERE/run.sh" "$SSO_BASE" admin "$ADMIN_PW" smoke "$SMOKE_PW" || status=1
if [ "$status" -ne 0 ]; then
  echo "--- sso herald log (tail)"; tail -n 40 "$WORK/sso-instance/herald.log" || true
  echo "--- provider log (tail)"; tail -n 20 "$WORK/oidc-provider.log" || true
fi
exit "$status"
