#!/usr/bin/env python3
"""Token flood: COUNT distinct valid tokens (one new user each), each sent once.

usage: flood.py ISSUER_URL API_URL AUDIENCE API_PID COUNT

Each token is minted by the dev issuer (sub auth0|flood-N), then sent at once to
GET /api/private, so every request is a cache miss: an RSA verify and a new user row.
The API's resident memory is read at ten checkpoints to show it levels off at what the
caches' configured bounds allow. Prints one JSON line (non_200 counts the answers that
were not 200; scripts/bench fails the run on any).
"""
import asyncio
import json
import os
import sys
import time
from urllib.parse import urlsplit

issuer, api, audience, api_pid, count = sys.argv[1:6]
count = int(count)
CONNECTIONS = 8


class Http:
    """One keep-alive HTTP/1.1 connection (the bench's servers always send Content-Length)."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.reader = self.writer = None

    async def request(self, method, path, headers, body=b""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


def memory_kib():
    fields = dict(line.split(":", 1) for line in open(f"/proc/{api_pid}/status"))
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


async def main():
    token_body = {"client_id": "dev-client", "client_secret": os.environ["DEV_ISSUER_CLIENT_SECRET"],
                  "audience": audience, "grant_type": "client_credentials", "scope": "read:messages"}
    next_n, done, failures, checkpoints = 0, 0, {}, []
    step = max(count // 10, 1)

    async def worker():
        nonlocal next_n, done
        issuer_http, api_http = Http(issuer), Http(api)
        while next_n < count:
            n, next_n = next_n, next_n + 1
            body = json.dumps({**token_body, "sub": f"auth0|flood-{n}"}).encode()
            status, answer = await issuer_http.request(
                "POST", "/oauth/token", {"Content-Type": "application/json"}, body)
            if status != 200:
                sys.exit(f"the dev issuer answered {status}: {answer[:200]!r}")
            token = json.loads(answer)["access_token"]
            status, _ = await api_http.request(
                "GET", "/api/private", {"Authorization": f"Bearer {token}"})
            if status != 200:
                failures[status] = failures.get(status, 0) + 1
            done += 1
            if done % step == 0:
                rss, _ = memory_kib()
                checkpoints.append({"tokens": done, "rss_kib": rss})
                print(f"  {done:>9} tokens: API resident memory {rss // 1024} MiB", file=sys.stderr)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    seconds = time.monotonic() - started
    rss, peak = memory_kib()
    print(json.dumps({"tokens": done, "seconds": round(seconds, 1), "rps": round(done / seconds),
                      "non_200": sum(failures.values()), "statuses": failures,
                      "rss_kib": rss, "peak_rss_kib": peak, "checkpoints": checkpoints}))


asyncio.run(main())
