"""What the Kubernetes manifests and GitHub workflows must hold, checked
after they parse as YAML (scripts/lint.sh runs this)."""

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
problems = []


def load(path):
    with open(ROOT / path, encoding="utf-8") as file:
        return yaml.safe_load(file)


def need(condition, message):
    if not condition:
        problems.append(message)


config_map = load("scripts/k8s/configmap.yaml")
need(config_map["kind"] == "ConfigMap", "configmap.yaml: kind is not ConfigMap")
settings = config_map.get("data", {})
for variable in [
    "PROJECT_ID",
    "GCS_BUCKET_NAME",
    "GCS_BUCKET_PROJECT_NAME",
    "BIGQUERY_RAW_DATASET",
    "BIGQUERY_RAW_TABLE_NAME",
    "BIGQUERY_TRANSFORMED_DATASET",
    "BIGQUERY_TRANSFORMED_TABLE_NAME",
    "GOOGLE_APPLICATION_CREDENTIALS",
]:
    need(variable in settings, f"configmap.yaml: no {variable}")
need(
    settings.get("DATACONTRACT_LOG_FORMAT") == "json",
    "configmap.yaml: logs are not JSON (DATACONTRACT_LOG_FORMAT), which Cloud Logging parses",
)
need(
    not any("BASE64" in key or "SECRET" in key for key in settings),
    "configmap.yaml: secrets do not belong in a ConfigMap",
)

cron = load("scripts/k8s/cronjob.yaml")
need(cron["kind"] == "CronJob" and cron["apiVersion"] == "batch/v1", "cronjob.yaml: not a batch/v1 CronJob")
pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
need(pod["securityContext"].get("runAsNonRoot") is True, "cronjob.yaml: the pod may run as root")
container = pod["containers"][0]
need(
    {"configMapRef": {"name": config_map["metadata"]["name"]}} in container.get("envFrom", []),
    "cronjob.yaml: the container does not read the ConfigMap",
)
secrets = {volume["secret"]["secretName"]: volume["secret"] for volume in pod.get("volumes", []) if "secret" in volume}
need("datacontract-gcp" in secrets, "cronjob.yaml: no Secret volume for the credentials")
need(
    secrets.get("datacontract-alerts", {}).get("optional") is True,
    "cronjob.yaml: the alerts' Secret is not mounted, or not optional (a deployment without alerts must still run)",
)
mount = [m["mountPath"] for m in container.get("volumeMounts", [])]
need(
    any(settings["GOOGLE_APPLICATION_CREDENTIALS"].startswith(path + "/") for path in mount),
    "cronjob.yaml: GOOGLE_APPLICATION_CREDENTIALS is not under the mounted Secret",
)
need("entrypoint.sh" in " ".join(container["args"]), "cronjob.yaml: the container bypasses the entrypoint")
need(container["command"][:2] == ["/usr/bin/tini", "--"], "cronjob.yaml: PID 1 is not tini, so signals may not reach the binary")
need(pod.get("terminationGracePeriodSeconds", 30) >= 300, "cronjob.yaml: too little grace for a promotion to finish on SIGTERM")

dockerfile = open("Dockerfile", encoding="utf-8").read()
need(
    'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/entrypoint.sh"]' in dockerfile,
    "Dockerfile: PID 1 is not tini, so signals may not reach the binary",
)

for name in ["ci.yml", "release.yml"]:
    workflow = load(f".github/workflows/{name}")
    need(bool(workflow.get("jobs")), f"{name}: no jobs")
    for job_name, job in workflow.get("jobs", {}).items():
        need(bool(job.get("steps")), f"{name}: job {job_name} has no steps")
ci = load(".github/workflows/ci.yml")
ci_runs = " ".join(step.get("run", "") for job in ci["jobs"].values() for step in job["steps"])
for command in ["cargo fmt", "cargo test --workspace --all-targets", "scripts/test.sh", "contracts check"]:
    need(command in ci_runs, f"ci.yml: does not run `{command}`")
# clippy runs as the test build's rustc wrapper, with warnings denied.
wrapper = """--config 'build.rustc-workspace-wrapper="clippy-driver"'"""
for command in ["cargo test --workspace --all-targets --locked --no-run", "scripts/test.sh"]:
    need(f"{command} {wrapper}" in ci_runs, f"ci.yml: `{command}` does not build with clippy")
need(
    "-D__CLIPPY_HACKERY__warnings" in ci.get("env", {}).get("CLIPPY_ARGS", ""),
    "ci.yml: clippy does not deny warnings",
)
release = load(".github/workflows/release.yml")
push = [s for job in release["jobs"].values() for s in job["steps"] if "docker/build-push-action" in s.get("uses", "")]
need(push and push[0]["with"]["platforms"] == "linux/amd64", "release.yml: does not build linux/amd64")
need(push and "github.sha" in push[0]["with"]["tags"], "release.yml: the image is not tagged with the commit")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print("manifests and workflows: ok")
