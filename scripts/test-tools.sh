# Sourced (after packages.sh and web.sh): what scripts/test needs besides Rust, each
# installed when missing and a no-op when present. .ci/run installs them in the
# background while it compiles, since they mostly wait on the network.

# What scripts/e2e drives the stack with: newman, playwright-core and axe-core (pinned by
# tests/browser/package-lock.json; playwright-core never downloads a browser: Debian's
# chromium is used), and schemathesis with all it needs (pinned by
# tests/schemathesis/requirements.txt), in a virtualenv rebuilt when the pins change.
ensure_e2e_tools() {
  ensure_npm_packages tests/browser "newman, playwright-core and axe-core"
  ensure_venv .local/schemathesis tests/schemathesis/requirements.txt
  ensure_command chromium chromium
}

# All of scripts/test's: the web app's packages (ng test), the e2e tools, HAProxy
# (tests/cluster) and PgBouncer (the transaction-mode pass).
ensure_test_tools() {
  ensure_web_packages
  ensure_e2e_tools
  ensure_command haproxy haproxy
  ensure_command pgbouncer pgbouncer
}
