#!/usr/bin/env python3
"""What the schemas cannot see in deploy/kubernetes: every setting of the API (from
.env.example) has a ConfigMap or Secret entry the pods read; probes, preStop, grace and
the non-root read-only container are there; the migration Job runs `todo-api migrate`.
Prints each problem and exits 1 if there is any."""
import pathlib
import re
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
manifests = {}
for path in sorted((root / "deploy/kubernetes").glob("*.yaml")):
    for doc in yaml.safe_load_all(path.read_text()):
        manifests[doc["kind"]] = doc
problems = []


def check(ok, message):
    if not ok:
        problems.append(message)


# The API's settings: .env.example's variables, less the dev tools' own.
settings = {
    m.group(1)
    for m in re.finditer(r"^([A-Z][A-Z0-9_]*)=", (root / ".env.example").read_text(), re.M)
    if not m.group(1).startswith(("DEV_ISSUER_", "WEB_"))
}
config = manifests["ConfigMap"]
secret = manifests["Secret"]
provided = set(config["data"]) | set(secret["stringData"])
for name in sorted(settings - provided):
    problems.append(f"{name} (in .env.example) is in neither the ConfigMap nor the Secret")
for name in sorted(set(config["data"]) - settings):
    problems.append(f"ConfigMap key {name} is not a setting of the API (.env.example)")


def containers(kind):
    return manifests[kind]["spec"]["template"]["spec"]["containers"]


def reads_everything(kind):
    container = containers(kind)[0]
    refs = [e.get("configMapRef", {}).get("name") for e in container.get("envFrom", [])]
    check(config["metadata"]["name"] in refs, f"{kind} does not read the ConfigMap (envFrom)")
    for env in container.get("env", []):
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            check(ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"],
                  f"{kind}: {env['name']} refers to {ref['name']}/{ref['key']}, not in the Secret")
    security = container.get("securityContext", {})
    pod = manifests[kind]["spec"]["template"]["spec"].get("securityContext", {})
    check(pod.get("runAsNonRoot") is True, f"{kind}: pods must run as non-root")
    check(security.get("readOnlyRootFilesystem") is True, f"{kind}: root filesystem must be read-only")
    check(security.get("allowPrivilegeEscalation") is False, f"{kind}: privilege escalation allowed")
    check("resources" in container, f"{kind}: no resources")
    return container


api = reads_everything("Deployment")
check({e["name"] for e in api.get("env", [])} >= {"DATABASE_URL", "DATABASE_DIRECT_URL"},
      "Deployment: DATABASE_URL and DATABASE_DIRECT_URL must come from the Secret")
check(api.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", "readiness must be /readyz")
check(api.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", "liveness must be /healthz")
pre_stop = api.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
check(pre_stop[:1] == ["sleep"], "Deployment: preStop must pause (sleep)")
grace = manifests["Deployment"]["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
shutdown = int(re.search(r"SHUTDOWN_GRACE_SECS: u64 = (\d+);", (root / "src/startup.rs").read_text()).group(1))
pause = int(pre_stop[1]) if len(pre_stop) > 1 else 0
drain = int(config["data"].get("SHUTDOWN_DRAIN_SECS") or 0)
check(grace > pause + drain + shutdown,
      f"terminationGracePeriodSeconds {grace} must exceed preStop {pause} + drain {drain} + shutdown grace {shutdown}")
check(config["data"].get("DATABASE_MIGRATE") == "false", "pods must leave migrations to the Job")

job = reads_everything("Job")
check(job.get("args") == ["migrate"], "the Job must run `todo-api migrate`")
job_url = next((e for e in job.get("env", []) if e["name"] == "DATABASE_URL"), {})
check(job_url.get("valueFrom", {}).get("secretKeyRef", {}).get("key") == "DATABASE_DIRECT_URL",
      "the Job must migrate over DATABASE_DIRECT_URL (a pooler cannot hold the advisory lock)")

selector = manifests["Deployment"]["spec"]["selector"]["matchLabels"]
for kind in ("Service", "PodDisruptionBudget"):
    spec = manifests[kind]["spec"]
    chosen = spec["selector"] if kind == "Service" else spec["selector"]["matchLabels"]
    check(chosen == selector, f"{kind} does not select the Deployment's pods")
target = manifests["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
check(target["kind"] == "Deployment" and target["name"] == manifests["Deployment"]["metadata"]["name"],
      "the HPA does not scale the Deployment")

for problem in problems:
    print(f"deploy/kubernetes: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"deploy/kubernetes: {len(manifests)} manifests, {len(settings)} settings, all consistent")
