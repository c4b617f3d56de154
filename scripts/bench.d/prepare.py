#!/usr/bin/env python3
"""Mints the benchmark's tokens from the dev issuer and seeds the W3 user's tasks.

usage: prepare.py ISSUER_URL API_URL AUDIENCE OUT_DIR
Writes OUT_DIR/one-token.txt (W1, W3, W4), OUT_DIR/thousand-tokens.txt (W2: 1,000 users)
and OUT_DIR/long-token.txt (the user whose very long list BENCH_LARGE=1 loads)."""
import json
import os
import sys
import urllib.request

issuer, api, audience, out = sys.argv[1:5]


def post(url, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def token(sub):
    return post(f"{issuer}oauth/token", {
        "client_id": "dev-client", "client_secret": os.environ["DEV_ISSUER_CLIENT_SECRET"], "audience": audience,
        "grant_type": "client_credentials", "sub": sub, "scope": "read:messages",
    })["access_token"]


one = token("auth0|bench-owner")
with open(f"{out}/one-token.txt", "w") as f:
    f.write(one + "\n")
with open(f"{out}/long-token.txt", "w") as f:
    f.write(token("auth0|bench-long") + "\n")
with open(f"{out}/thousand-tokens.txt", "w") as f:
    for n in range(1000):
        f.write(token(f"auth0|bench-user-{n}") + "\n")
for n in range(20):
    post(f"{api}/api/task/", {"title": f"Task {n}", "content": "seeded for W3"}, one)
