#!/usr/bin/env python3
"""Checks docker-compose.yml where no Docker engine runs: it parses, and the stack has
the shape the README promises (db with a healthcheck and a named volume; api built from
the Dockerfile's default (runtime) target, reading .env, waiting for a healthy db,
publishing 8000; the dev issuer built from the Dockerfile's dev-issuer target, sharing the
api network; the web app built from web/Dockerfile on 4200, served by serve.mjs with its
security headers), that every published port is on the host's loopback only (the dev
issuer mints tokens for anyone who reaches it), and that the runtime image never contains
the dev issuer nor binds it beyond loopback by default."""
import re
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
build = issuer.get("build")
if not isinstance(build, dict) or build.get("context") != "." or build.get("target") != "dev-issuer":
    problems.append("issuer must be built from the Dockerfile's dev-issuer target")
if issuer.get("network_mode") != "service:api":
    problems.append("issuer must share the api service's network")
web = services.get("web", {})
if web.get("build") not in ("web", "./web", {"context": "web"}, {"context": "./web"}):
    problems.append("web must be built from web/Dockerfile")
if not any(str(port).endswith(":4200") for port in web.get("ports", [])):
    problems.append("web must publish 4200")

# The Dockerfile's stages: the last one is what `docker build .` (and the api service)
# gets; it and its ancestors must not copy the dev issuer in.
with open("Dockerfile") as f:
    stages, current = {}, None
    for line in f:
        if m := re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I):
            current = m.group(2) or f"stage{len(stages)}"
            stages[current] = {"parent": m.group(1), "lines": []}
        elif current:
            stages[current]["lines"].append(line)
runtime = list(stages)[-1] if stages else None
if "dev-issuer" not in stages:
    problems.append("Dockerfile needs a dev-issuer stage")
stage = runtime
while stage in stages:
    if any("dev-issuer" in line and line.lstrip().upper().startswith(("COPY", "RUN")) for line in stages[stage]["lines"]):
        problems.append(f"Dockerfile: the runtime image (stage {stage}) must not contain the dev issuer")
    stage = stages[stage]["parent"]
# Every published port: 127.0.0.1:HOST:CONTAINER (or the long syntax with host_ip).
for name, service in services.items():
    for port in service.get("ports", []):
        if isinstance(port, dict):
            host_ip = port.get("host_ip")
        else:
            parts = str(port).split(":")
            host_ip = parts[0] if len(parts) == 3 else None
        if host_ip != "127.0.0.1":
            problems.append(f"{name} publishes {port!r} beyond the host's loopback: use 127.0.0.1:HOST:CONTAINER")
with open("web/Dockerfile") as f:
    if "serve.mjs" not in f.read():
        problems.append("web/Dockerfile must serve the app with serve.mjs (its security headers)")
if "dev-issuer" in stages and any(
    "DEV_ISSUER_BIND" in line and "0.0.0.0" in line for line in stages["dev-issuer"]["lines"]
):
    problems.append("Dockerfile: the dev-issuer image must not listen beyond loopback by default")

for problem in problems:
    print(f"docker-compose.yml: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
