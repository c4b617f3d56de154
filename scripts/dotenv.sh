#!/usr/bin/env bash
# .env, the checkout's own configuration (ignored by git).
#
#   scripts/dotenv.sh    creates .env from .env.example when missing, with a dev client
#                        secret of its own (what `docker compose up` needs first)
#
# Sourced by scripts/run (through scripts/postgres.sh) for `ensure_dotenv` and `dotenv_value`.

DOTENV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The value of VAR in .env, if any (without evaluating the file).
dotenv_value() {
  [[ -f "$DOTENV_ROOT/.env" ]] || return 0
  sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$DOTENV_ROOT/.env" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

# 256 random bits, URL-safe: the dev issuer's client secret.
random_secret() {
  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
}

# .env exists, and its DEV_ISSUER_CLIENT_SECRET is one of this checkout's own: generated
# when .env is created, and when an older .env has none or the old documented constant.
ensure_dotenv() {
  local file="$DOTENV_ROOT/.env"
  if [[ ! -f "$file" ]]; then
    cp "$DOTENV_ROOT/.env.example" "$file"
    chmod 600 "$file"
    printf '[todo-api] created .env from .env.example (local dev issuer; edit it for a real Auth0 tenant)\n' >&2
  fi
  local secret
  secret=$(dotenv_value DEV_ISSUER_CLIENT_SECRET)
  if [[ -z "$secret" || "$secret" == dev-secret ]]; then
    secret=$(random_secret)
    if grep -q '^[[:space:]]*DEV_ISSUER_CLIENT_SECRET[[:space:]]*=' "$file"; then
      sed -i "s|^[[:space:]]*DEV_ISSUER_CLIENT_SECRET[[:space:]]*=.*|DEV_ISSUER_CLIENT_SECRET=$secret|" "$file"
    else
      printf 'DEV_ISSUER_CLIENT_SECRET=%s\n' "$secret" >>"$file"
    fi
    printf '[todo-api] generated a dev client secret for this checkout (DEV_ISSUER_CLIENT_SECRET in .env)\n' >&2
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  ensure_dotenv
fi
