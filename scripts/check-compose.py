#!/usr/bin/env python3
"""Checks docker-compose.yml where no Docker engine runs: it parses, and the stack has
the shape the README promises (db with a healthcheck and a named volume; api built from
the Dockerfile, reading .env, waiting for a healthy db, publishing 8000; the dev
issuer sharing the api network)."""
import sys

import yaml

with open(sys.argv[1] if len(sys.argv) > 1 else "docker-compose.yml") as f:
    compose = yaml.safe_load(f)

services = compose["services"]
db, api = services["db"], services["api"]
problems = []
if not str(db.get("image", "")).startswith("postgres:16"):
    problems.append("db must use postgres:16")
if "pg_isready" not in " ".join(db.get("healthcheck", {}).get("test", [])):
    problems.append("db needs a pg_isready healthcheck")
volume = next(iter(db.get("volumes", [])), "").split(":")[0]
if volume not in (compose.get("volumes") or {}):
    problems.append("db data must live in a named volume")
if api.get("build") not in (".", {"context": "."}):
    problems.append("api must be built from the Dockerfile")
if api.get("env_file") not in (".env", [".env"]):
    problems.append("api must read .env")
if api.get("depends_on", {}).get("db", {}).get("condition") != "service_healthy":
    problems.append("api must wait for a healthy db")
if not any(str(port).endswith(":8000") for port in api.get("ports", [])):
    problems.append("api must publish 8000")
issuer = services.get("issuer", {})
if issuer.get("command") != ["dev-issuer"] or issuer.get("network_mode") != "service:api":
    problems.append("issuer must run `dev-issuer` in the api service's network")
for problem in problems:
    print(f"docker-compose.yml: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
