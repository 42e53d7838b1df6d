#!/usr/bin/env bash
# `make check-deploy`: checks the deployment files under deploy/ as far as this machine allows,
# offline and without side effects on the repository (scratch files live in a temporary
# directory). Prints each check as ok / FAIL / skip (with the reason), then what it cannot
# check here. Exit 1 when any check fails.
#
# Tools: systemd-analyze (package systemd), PyYAML (python3-yaml), yamllint, the Kubernetes
# Python client's models (python3-kubernetes, used offline as a schema: unknown and mistyped
# fields, missing required ones), docker compose v2 or docker-compose v1 (compose validation),
# and shellcheck. Missing ones are installed from Debian's archive when running as root with
# apt-get (one `apt-get update`); CHECK_DEPLOY_INSTALL=0 never installs, and the checks
# needing a missing tool are skipped. Used when already installed, never installed: hadolint
# (Dockerfile lint; the explicit Dockerfile checks run either way) and promtool (alert rules
# and their unit tests).
#
# OPERATIONS.md is checked against the code: the metric families (names, types, labels) that
# the Rust sources record, the alert rules' metrics, the flags of `hark run`, and the fields of
# /readyz's JSON.
#
# A built hark binary (HARK_BIN, else the newer of target/release/hark and target/debug/hark,
# if it has `hark run`) adds: the hark command lines of the unit, compose, the manifests and
# the Dockerfile parsed by hark itself, the ConfigMap's hark.toml validated by hark, and
# `hark classify` run under the kernel's W^X enforcement (what MemoryDenyWriteExecute=yes
# asks of the systemd unit) when the model files are there (`make model`).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/check-deploy.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

passed=0 failed=0 skipped=0
ok() { printf 'check-deploy: ok    %s\n' "$1"; passed=$((passed + 1)); }
fail() {
    printf 'check-deploy: FAIL  %s\n' "$1"
    [[ -n "${2:-}" ]] && printf '%s\n' "$2" | sed 's/^/        /'
    failed=$((failed + 1))
}
skip() { printf 'check-deploy: skip  %s (%s)\n' "$1" "$2"; skipped=$((skipped + 1)); }
say() { printf 'check-deploy: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# The Python with Debian's modules (python3-yaml, python3-kubernetes live in dist-packages).
PY=/usr/bin/python3
[[ -x "$PY" ]] || PY="$(command -v python3 || true)"
py_has() { [[ -n "$PY" ]] && "$PY" -c "import $1" >/dev/null 2>&1; }
compose_cmd() {
    if have docker && docker compose version >/dev/null 2>&1; then
        echo "docker compose"
    elif have docker-compose; then
        echo docker-compose
    fi
}

# --- tools ------------------------------------------------------------------------------------
missing=()
have systemd-analyze || missing+=(systemd)
py_has yaml || missing+=(python3-yaml)
have yamllint || missing+=(yamllint)
py_has kubernetes || missing+=(python3-kubernetes)
[[ -n "$(compose_cmd)" ]] || missing+=(docker-compose)
have shellcheck || missing+=(shellcheck)
if ((${#missing[@]})); then
    if [[ "${CHECK_DEPLOY_INSTALL:-1}" != 0 && "$(id -u)" == 0 ]] && have apt-get; then
        say "installing ${missing[*]} (apt-get)"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
            >"$WORK/apt.log" 2>&1; then
            say "apt-get could not install everything (see below); the checks needing it are skipped"
            tail -n 5 "$WORK/apt.log" | sed 's/^/        /'
        fi
        [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3
    else
        say "not installing ${missing[*]} (needs root and apt-get; CHECK_DEPLOY_INSTALL=0 turns installing off)"
    fi
fi

HARK_BIN="${HARK_BIN:-}"
if [[ -z "$HARK_BIN" ]]; then
    # The newer build: a stale release binary must not stand in for the code checked out.
    for candidate in "$ROOT/target/release/hark" "$ROOT/target/debug/hark"; do
        [[ -x "$candidate" ]] || continue
        if [[ -z "$HARK_BIN" || "$candidate" -nt "$HARK_BIN" ]]; then HARK_BIN="$candidate"; fi
    done
    if [[ -n "$HARK_BIN" ]] && ! "$HARK_BIN" run --help >/dev/null 2>&1; then
        say "not using $HARK_BIN: it has no \`hark run\` (an old build; cargo build -p hark-cli)"
        HARK_BIN=""
    fi
fi
# systemd-analyze needs an absolute ExecStart path.
[[ -n "$HARK_BIN" && "$HARK_BIN" != /* ]] && HARK_BIN="$PWD/$HARK_BIN"
[[ -n "$HARK_BIN" ]] && say "hark binary for the checks that run it: $HARK_BIN"

# --- systemd ----------------------------------------------------------------------------------
# `systemd-analyze verify` refuses a unit whose ExecStart binary does not exist, and hark is not
# installed in /usr/local/bin here. The units are verified from copies in a scratch directory in
# which /usr/local/bin/hark is replaced by a binary that exists (the built hark, else
# /bin/true): the path is the only thing changed, every other line is checked as written.
units=("$DEPLOY"/systemd/*.service "$DEPLOY"/systemd/*.timer)
if have systemd-analyze; then
    mkdir -p "$WORK/systemd"
    stand_in="${HARK_BIN:-/bin/true}"
    for unit in "${units[@]}"; do
        sed "s#/usr/local/bin/hark\\b#$stand_in#g" "$unit" >"$WORK/systemd/$(basename "$unit")"
    done
    out="$(cd "$WORK/systemd" && systemd-analyze verify ./*.service ./*.timer 2>&1)"
    rc=$?
    # Unknown keys and bad values are only warnings (exit 0): any line naming a unit fails.
    if [[ $rc -ne 0 ]] || grep -qE 'hark[-a-z]*\.(service|timer)' <<<"$out"; then
        fail "systemd-analyze verify deploy/systemd/* (ExecStart's hark stood in by $stand_in)" "$out"
    else
        ok "systemd-analyze verify deploy/systemd/*.service *.timer (ExecStart's hark stood in by $stand_in)"
    fi
    for unit in hark.service hark-backup.service; do
        level="$(cd "$WORK/systemd" && systemd-analyze security --offline=yes "./$unit" 2>/dev/null \
            | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
        if [[ -z "$level" ]] && ! systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
            skip "systemd-analyze security $unit" "this systemd-analyze has no --offline"
        elif [[ -z "$level" ]]; then
            fail "systemd-analyze security $unit: no exposure level" \
                "$(cd "$WORK/systemd" && systemd-analyze security --offline=yes "./$unit" 2>&1 | tail -n 5)"
        elif awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
            ok "systemd-analyze security $unit: exposure $level (at most 2.0)"
        else
            fail "systemd-analyze security $unit: exposure $level, above 2.0"
        fi
    done
else
    skip "systemd-analyze verify / security" "systemd-analyze missing"
fi

# --- W^X: ONNX Runtime under MemoryDenyWriteExecute -------------------------------------------
# PR_SET_MDWE (Linux 6.3+) is the kernel's own "no writable+executable memory" switch, kept
# across exec: hark classify must load libonnxruntime.so and score a text under it.
models="${HARK_MODEL_DIR:-$ROOT/models}"
if [[ -z "$HARK_BIN" ]]; then
    skip "hark classify under W^X" "no built hark binary"
elif [[ ! -f "$models/all-MiniLM-L6-v2/model.onnx" ]]; then
    skip "hark classify under W^X" "no model files in $models (make model)"
elif [[ -z "$PY" ]]; then
    skip "hark classify under W^X" "python3 missing"
else
    out="$(HARK_MODEL_DIR="$models" "$PY" - "$HARK_BIN" <<'PY' 2>&1
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    print("unsupported: prctl(PR_SET_MDWE) failed, errno %d" % ctypes.get_errno())
    sys.exit(3)
hark = sys.argv[1]
os.execv(hark, [hark, "--quiet", "classify", "Support ignored my ticket for a week"])
PY
)"
    rc=$?
    if [[ $rc -eq 3 && "$out" == unsupported:* ]]; then
        skip "hark classify under W^X" "kernel without PR_SET_MDWE (Linux 6.3+)"
    elif [[ $rc -eq 0 ]] && grep -q '"complaint"' <<<"$out"; then
        ok "hark classify runs ONNX Runtime with W^X enforced (MemoryDenyWriteExecute=yes holds)"
    else
        fail "hark classify under W^X (MemoryDenyWriteExecute=yes would break the classifier)" "$out"
    fi
fi

# --- YAML -------------------------------------------------------------------------------------
mapfile -t yamls < <(find "$DEPLOY" -name '*.yaml' | sort)
if py_has yaml; then
    if out="$("$PY" - "${yamls[@]}" <<'PY' 2>&1
import sys, yaml
bad = 0
for path in sys.argv[1:]:
    try:
        list(yaml.safe_load_all(open(path, encoding="utf-8")))
    except yaml.YAMLError as err:
        bad += 1
        print(f"{path}: {err}")
sys.exit(1 if bad else 0)
PY
)"; then
        ok "YAML parses: ${#yamls[@]} files (compose.yaml, k8s/, prometheus/)"
    else
        fail "YAML parses" "$out"
    fi
else
    skip "YAML parses" "PyYAML missing"
fi
if have yamllint; then
    if out="$(yamllint -f parsable -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable}}' \
        "${yamls[@]}" 2>&1)" && [[ -z "$out" ]]; then
        ok "yamllint (default rules, lines up to 120, no document-start marker needed)"
    else
        fail "yamllint" "$out"
    fi
else
    skip "yamllint" "yamllint missing"
fi

# --- Kubernetes -------------------------------------------------------------------------------
# Every object is walked against the Kubernetes Python client's generated models (the API's
# OpenAPI types, offline): unknown fields, wrong types and missing required fields fail. Then
# what this deployment relies on: one replica, Recreate, the security context, the probes, the
# grace period, the secret names.
if py_has yaml && py_has kubernetes; then
    if out="$(WORK="$WORK" "$PY" - "$DEPLOY" <<'PY' 2>&1
import os, re, sys, tomllib, yaml
import kubernetes
from kubernetes import client

deploy = sys.argv[1]
k8s = os.path.join(deploy, "k8s")
problems = []
MODELS = {
    ("v1", "ConfigMap"): "V1ConfigMap", ("v1", "Secret"): "V1Secret",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim", ("v1", "Service"): "V1Service",
    ("apps/v1", "Deployment"): "V1Deployment", ("batch/v1", "CronJob"): "V1CronJob",
    ("batch/v1", "Job"): "V1Job",
}
PRIMITIVES = {"str": (str,), "int": (int,), "bool": (bool,), "float": (int, float), "object": (object,)}

def walk(value, kind, path):
    if kind.startswith("list["):
        if not isinstance(value, list):
            return problems.append(f"{path}: expected a list")
        for i, item in enumerate(value):
            walk(item, kind[5:-1], f"{path}[{i}]")
    elif kind.startswith("dict("):
        if not isinstance(value, dict):
            return problems.append(f"{path}: expected a mapping")
        inner = kind[5:-1].split(", ", 1)[1]
        for key, item in value.items():
            walk(item, inner, f"{path}.{key}")
    elif kind in PRIMITIVES:
        if (kind != "bool" and isinstance(value, bool)) or not isinstance(value, PRIMITIVES[kind]):
            problems.append(f"{path}: expected {kind}, got {type(value).__name__} {value!r}")
    elif kind in ("datetime", "date"):
        pass
    else:
        model = getattr(client, kind)
        if not isinstance(value, dict):
            return problems.append(f"{path}: expected a {kind} mapping")
        by_key = {key: attr for attr, key in model.attribute_map.items()}
        for key, item in value.items():
            if key not in by_key:
                problems.append(f"{path}.{key}: unknown field of {kind}")
            else:
                walk(item, model.openapi_types[by_key[key]], f"{path}.{key}")

class Raw:
    def __init__(self, data):
        import json
        self.data = json.dumps(data)

api = client.ApiClient()

def checked_objects(directory, shown):
    """Every object of the directory's manifests (not its kustomization), walked against its
    API type; yields (file name, where, object) for the rules below."""
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".yaml") or name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(open(os.path.join(directory, name), encoding="utf-8")):
            where = f"{shown}/{name}: {doc.get('kind')} {doc.get('metadata', {}).get('name')}"
            model = MODELS.get((doc.get("apiVersion"), doc.get("kind")))
            if model is None:
                problems.append(f"{where}: no schema here for {doc.get('apiVersion')}/{doc.get('kind')}")
                continue
            before = len(problems)
            walk(doc, model, where)
            if len(problems) == before:
                try:
                    api.deserialize(Raw(doc), model)   # required fields, enum-free type coercion
                except (ValueError, TypeError) as err:
                    problems.append(f"{where}: {err}")
            yield name, where, doc

objects = {}
for name, _, doc in checked_objects(k8s, "k8s"):
    objects[(doc["kind"], doc["metadata"]["name"])] = (name, doc)

kust = yaml.safe_load(open(os.path.join(k8s, "kustomization.yaml"), encoding="utf-8"))
listed = set(kust.get("resources", []))
present = {n for n in os.listdir(k8s) if n.endswith(".yaml") and n != "kustomization.yaml"}
for name in sorted(listed - present):
    problems.append(f"kustomization.yaml lists {name}, which does not exist")
for name in sorted(present - listed - {"restore-job.yaml"}):
    problems.append(f"kustomization.yaml does not list {name}")
image_names = {i["name"] for i in kust.get("images", [])}

def check(cond, message):
    if not cond:
        problems.append(message)

def pod_checks(where, pod, container_name):
    sc = pod.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True, f"{where}: runAsNonRoot must be true")
    check(sc.get("runAsUser") == 10001, f"{where}: runAsUser must be 10001 (the image's hark user)")
    check(sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccompProfile RuntimeDefault")
    check(pod.get("enableServiceLinks") is False, f"{where}: enableServiceLinks false (a Service named hark injects HARK_* variables)")
    check(pod.get("automountServiceAccountToken") is False, f"{where}: automountServiceAccountToken false")
    containers = {c["name"]: c for c in pod["containers"]}
    c = containers.get(container_name)
    if c is None:
        return problems.append(f"{where}: no container {container_name}")
    csc = c.get("securityContext", {})
    check(csc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation false")
    check(csc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem true")
    check(csc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities drop ALL")
    check(c["image"] in image_names, f"{where}: image {c['image']!r} is not set by kustomization.yaml images")
    mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
    check("/tmp" in mounts, f"{where}: /tmp must be a writable volume (read-only root filesystem)")
    check("/var/lib/hark" in mounts, f"{where}: /var/lib/hark (the data volume) must be mounted")
    return c

def grace_of(args):
    if "--grace" not in args:
        return 30
    raw = args[args.index("--grace") + 1]
    m = re.fullmatch(r"(\d+)(s|m)", raw)
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1) if m else None

_, dep = objects.get(("Deployment", "hark"), (None, None))
if dep is None:
    problems.append("no Deployment hark")
else:
    spec = dep["spec"]
    check(spec.get("replicas") == 1, "Deployment: replicas must be 1 (SQLite, one writer)")
    check(spec.get("strategy", {}).get("type") == "Recreate", "Deployment: strategy Recreate (old pod gone before the new one opens the store)")
    pod = spec["template"]["spec"]
    c = pod_checks("Deployment", pod, "hark")
    if c:
        args = c.get("args", [])
        check("run" in args, "Deployment: args must run `hark run`")
        grace = grace_of(args)
        check(grace is not None and pod.get("terminationGracePeriodSeconds", 30) > grace,
              f"Deployment: terminationGracePeriodSeconds must exceed --grace ({grace}s)")
        check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", "Deployment: liveness on /healthz")
        check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", "Deployment: readiness on /readyz")
        check("startupProbe" in c, "Deployment: startupProbe (migrations and model load before serving)")
        check({"requests", "limits"} <= set(c.get("resources", {})), "Deployment: resources requests and limits")
        check(any(e.get("secretRef", {}).get("name") == "hark-secrets" for e in c.get("envFrom", [])), "Deployment: envFrom secret hark-secrets")
    ann = spec["template"]["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/path") == "/metrics", "Deployment: prometheus.io annotations")
    claims = {v["persistentVolumeClaim"]["claimName"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v}
    check(("PersistentVolumeClaim", "hark-data") in objects and "hark-data" in claims, "Deployment: data on the PVC hark-data")

_, cron = objects.get(("CronJob", "hark-backup"), (None, None))
if cron is not None:
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod_checks("CronJob hark-backup", pod, "backup")
    check(cron["spec"].get("concurrencyPolicy") == "Forbid", "CronJob hark-backup: concurrencyPolicy Forbid")
_, restore = objects.get(("Job", "hark-restore"), (None, None))
if restore is not None:
    # restore-job.yaml is applied by hand (kustomize does not rewrite its image): same checks
    # except the kustomize image name.
    image_names.add("hark")
    pod_checks("Job hark-restore", restore["spec"]["template"]["spec"], "restore")

_, svc = objects.get(("Service", "hark"), (None, None))
if svc is not None:
    check(svc["spec"].get("type", "ClusterIP") == "ClusterIP", "Service: ClusterIP")
    check(any(p.get("port") == 8080 for p in svc["spec"]["ports"]), "Service: port 8080")

# Secrets: every *_env name in the ConfigMap's hark.toml is a key of the Secret and of
# deploy/secrets.env.example, and neither holds names the config does not use.
_, cm = objects.get(("ConfigMap", "hark-config"), (None, None))
_, secret = objects.get(("Secret", "hark-secrets"), (None, None))
if cm is None or secret is None:
    problems.append("ConfigMap hark-config and Secret hark-secrets are expected")
else:
    try:
        config = tomllib.loads(cm["data"]["hark.toml"])
    except tomllib.TOMLDecodeError as err:
        problems.append(f"ConfigMap hark.toml: {err}")
        config = {}
    names = set()
    def env_names(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("_env") and isinstance(value, str):
                    names.add(value)
                else:
                    env_names(value)
        elif isinstance(node, list):
            for item in node:
                env_names(item)
    env_names(config)
    keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    check(names == keys, f"Secret keys {sorted(keys)} != the *_env names of the ConfigMap's hark.toml {sorted(names)}")
    example = set()
    for line in open(os.path.join(deploy, "secrets.env.example"), encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            example.add(line.split("=", 1)[0])
    check(names == example, f"secrets.env.example names {sorted(example)} != the ConfigMap's *_env names {sorted(names)}")
    for key, value in secret.get("stringData", {}).items():
        check("REPLACE" in str(value).upper(), f"Secret {key}: the example must hold a REPLACE placeholder, not a value")
    open(os.path.join(os.environ["WORK"], "configmap-hark.toml"), "w", encoding="utf-8").write(cm["data"]["hark.toml"])

# The scaled-out layout (k8s/scaled): the same schema walk, and per role what it relies on.
scaled = os.path.join(k8s, "scaled")
kust = yaml.safe_load(open(os.path.join(scaled, "kustomization.yaml"), encoding="utf-8"))
listed = kust.get("resources", [])
present = {n for n in os.listdir(scaled) if n.endswith(".yaml") and n != "kustomization.yaml"}
for name in listed:
    check(os.path.exists(os.path.join(scaled, name)), f"scaled/kustomization.yaml lists {name}, which does not exist")
for name in sorted(present - set(listed)):
    problems.append(f"scaled/kustomization.yaml does not list {name}")
image_names = {i["name"] for i in kust.get("images", [])}
roles = {}
for name, where, doc in checked_objects(scaled, "k8s/scaled"):
    if doc["kind"] != "Deployment":
        continue
    pod = doc["spec"]["template"]["spec"]
    c = pod_checks(where, pod, "hark")
    if not c:
        continue
    args = c.get("args", [])
    role = args[args.index("--role") + 1] if "--role" in args else None
    check(role in ("fetch", "process", "serve"), f"{where}: args must name --role fetch, process or serve")
    roles[role] = doc
    grace = grace_of(args)
    check(grace is not None and pod.get("terminationGracePeriodSeconds", 30) > grace,
          f"{where}: terminationGracePeriodSeconds must exceed --grace ({grace}s)")
    check(any(e.get("secretRef", {}).get("name") == "hark-secrets" for e in c.get("envFrom", [])),
          f"{where}: envFrom secret hark-secrets (HARK_STORE_URL, HARK_BUS_URL)")
    check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", f"{where}: liveness on /healthz")
    ann = doc["spec"]["template"]["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true", f"{where}: prometheus.io annotations")
    if role == "serve":
        check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", f"{where}: readiness on /readyz")
    else:
        metrics_addr = args[args.index("--metrics-addr") + 1] if "--metrics-addr" in args else ""
        port = metrics_addr.rsplit(":", 1)[-1]
        check(port.isdigit() and ann.get("prometheus.io/port") == port,
              f"{where}: --metrics-addr and the prometheus.io/port annotation must agree")
for role in ("fetch", "process", "serve"):
    check(role in roles, f"k8s/scaled: no Deployment runs --role {role}")

for p in problems:
    print(p)
print(f"{len(objects)} objects, kubernetes client models {kubernetes.__version__}")
sys.exit(1 if problems else 0)
PY
)"; then
        ok "Kubernetes manifests: schema (python3-kubernetes models) and deployment rules (${out##*$'\n'})"
    else
        fail "Kubernetes manifests" "$out"
    fi
else
    skip "Kubernetes manifests against the API schema" "PyYAML or python3-kubernetes missing"
fi

# The ConfigMap's hark.toml, read and validated by hark itself (a scratch data directory).
if [[ -z "$HARK_BIN" ]]; then
    skip "ConfigMap hark.toml validated by hark" "no built hark binary"
elif [[ ! -f "$WORK/configmap-hark.toml" ]]; then
    skip "ConfigMap hark.toml validated by hark" "the Kubernetes check did not extract it"
elif out="$("$HARK_BIN" --quiet --config "$WORK/configmap-hark.toml" --data-dir "$WORK/hark-data" sources 2>&1)"; then
    ok "ConfigMap hark.toml accepted by hark (hark sources)"
else
    fail "ConfigMap hark.toml rejected by hark" "$out"
fi

# --- compose ----------------------------------------------------------------------------------
compose="$(compose_cmd)"
if [[ -z "$compose" ]]; then
    skip "compose.yaml validation" "neither docker compose nor docker-compose"
else
    # compose.yaml names ./hark.toml and ./secrets.env, which are the operator's: placeholders
    # stand in for them in a scratch copy (context .. is the scratch root).
    mkdir -p "$WORK/compose/deploy"
    cp "$DEPLOY/compose.yaml" "$WORK/compose/deploy/"
    cp "$ROOT/hark.example.toml" "$WORK/compose/deploy/hark.toml"
    cp "$DEPLOY/secrets.env.example" "$WORK/compose/deploy/secrets.env"
    cp "$DEPLOY/compose.scaled.yaml" "$WORK/compose/deploy/"
    for file in compose.yaml compose.scaled.yaml; do
        # The scaled file's PostgreSQL password comes from the environment (.env).
        if out="$(cd "$WORK/compose/deploy" && POSTGRES_PASSWORD=placeholder $compose -f "$file" config -q 2>&1)" \
            && ! grep -qi 'error\|invalid\|unsupported' <<<"$out"; then
            ok "$file valid ($compose config)"
        else
            fail "$file ($compose config)" "$out"
        fi
    done
fi
if py_has yaml; then
    if out="$("$PY" - "$DEPLOY/compose.yaml" <<'PY' 2>&1
import re, sys, yaml
svc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["services"]["hark"]
problems = []
args = svc.get("command", [])
grace = 30
if "--grace" in args:
    grace = int(args[args.index("--grace") + 1].rstrip("s"))
m = re.fullmatch(r"(\d+)s", str(svc.get("stop_grace_period", "10s")))
if not m or int(m.group(1)) <= grace:
    problems.append(f"stop_grace_period must exceed --grace ({grace}s)")
if not all(str(p).startswith("127.0.0.1:") for p in svc.get("ports", [])):
    problems.append("ports must be bound to 127.0.0.1 (TLS proxy in front; /metrics is unauthenticated)")
for key, want in (("restart", "unless-stopped"), ("read_only", True)):
    if svc.get(key) != want:
        problems.append(f"{key} must be {want!r}")
if "healthcheck" not in svc or "/healthz" not in " ".join(svc["healthcheck"]["test"]):
    problems.append("healthcheck on /healthz")
if not any(str(v).endswith(":/etc/hark/hark.toml:ro") for v in svc.get("volumes", [])):
    problems.append("hark.toml mounted read-only at /etc/hark/hark.toml")
if not any(str(v).split(":")[1] == "/var/lib/hark" for v in svc.get("volumes", [])):
    problems.append("a volume at /var/lib/hark")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
)"; then
        ok "compose.yaml: grace period, loopback port, read-only config, healthcheck, restart policy"
    else
        fail "compose.yaml rules" "$out"
    fi
fi

# --- Dockerfile -------------------------------------------------------------------------------
if have hadolint; then
    if out="$(hadolint "$DEPLOY/Dockerfile" 2>&1)"; then ok "hadolint deploy/Dockerfile"; else fail "hadolint deploy/Dockerfile" "$out"; fi
else
    skip "hadolint" "not installed, and not packaged for Debian; the explicit checks below stand in"
fi
if [[ -n "$PY" ]]; then
    if out="$("$PY" - "$ROOT" <<'PY' 2>&1
import os, re, sys
root = sys.argv[1]
text = open(os.path.join(root, "deploy/Dockerfile"), encoding="utf-8").read()
lines = re.sub(r"\\\n", " ", text).splitlines()
inst = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if len(l.split(None, 1)) > 1 else "")
        for l in (l.strip() for l in lines) if l and not l.startswith("#")]
problems = []
def last(op):
    found = [arg for o, arg in inst if o == op]
    return found[-1] if found else None
froms = [arg for o, arg in inst if o == "FROM"]
if len(froms) < 2:
    problems.append(f"multi-stage build expected, {len(froms)} FROM")
final = max(i for i, (o, _) in enumerate(inst) if o == "FROM")
users = [arg for o, arg in inst[final:] if o == "USER"]
if not users or users[-1].split(":")[0] in ("root", "0"):
    problems.append("the final stage must switch to a non-root USER")
if not any(o == "HEALTHCHECK" and "/healthz" in a for o, a in inst[final:]):
    problems.append("HEALTHCHECK on /healthz in the final stage")
if last("ENTRYPOINT") != '["hark"]':
    problems.append('ENTRYPOINT ["hark"]')
if "run" not in (last("CMD") or ""):
    problems.append("CMD runs `hark run`")
if "8080" not in (last("EXPOSE") or ""):
    problems.append("EXPOSE 8080")
if "/var/lib/hark" not in (last("VOLUME") or ""):
    problems.append("VOLUME /var/lib/hark")
if "--locked" not in text or "-p hark-cli" not in text:
    problems.append("cargo build --release --locked -p hark-cli")
if "scripts/model/fetch.sh" not in text:
    problems.append("the model stage runs scripts/model/fetch.sh")
env = " ".join(a for o, a in inst[final:] if o == "ENV")
model_dir = re.search(r"HARK_MODEL_DIR=(\S+)", env)
for var, want in (("HARK_DATA_DIR", "/var/lib/hark/data"), ("HARK_CONFIG", "/etc/hark/hark.toml")):
    if f"{var}={want}" not in env:
        problems.append(f"ENV {var}={want}")
if not model_dir:
    problems.append("ENV HARK_MODEL_DIR (where the encoder is looked for)")
else:
    model_dir = model_dir.group(1)
    for other in ("deploy/systemd/hark.service", "deploy/k8s/deployment.yaml"):
        if model_dir not in open(os.path.join(root, other), encoding="utf-8").read():
            problems.append(f"{other} does not use the image's HARK_MODEL_DIR {model_dir}")
# COPY sources from the build context exist and are not ignored by /.dockerignore.
ignore = open(os.path.join(root, ".dockerignore"), encoding="utf-8").read().split()
for o, a in inst:
    if o == "COPY" and "--from=" not in a:
        src = a.split()[0]
        if src != "." and not os.path.exists(os.path.join(root, src)):
            problems.append(f"COPY {src}: not in the repository")
for want in ("target/", "models/*", "!models/heads/", "hark-data/", "demo-data/"):
    if want not in ignore:
        problems.append(f".dockerignore: {want}")
if not os.listdir(os.path.join(root, "models/heads")):
    problems.append("models/heads/ is empty")
print("\n".join(problems))
print(f"{len(froms)} stages")
sys.exit(1 if problems else 0)
PY
)"; then
        ok "Dockerfile: multi-stage (${out##*$'\n'}), non-root USER, HEALTHCHECK, ENTRYPOINT/CMD, ENV paths, COPY sources, .dockerignore"
    else
        fail "Dockerfile rules" "$out"
    fi
fi

# --- Prometheus rules -------------------------------------------------------------------------
rules="$DEPLOY/prometheus/hark-rules.yaml"
if have promtool; then
    if out="$(promtool check rules "$rules" 2>&1 && (cd "$DEPLOY/prometheus" && promtool test rules hark-rules.test.yaml) 2>&1)"; then
        ok "promtool check rules + test rules (deploy/prometheus)"
    else
        fail "promtool (deploy/prometheus)" "$out"
    fi
else
    skip "promtool check/test rules" "promtool not installed (Debian: package prometheus); structure checked below"
fi
# OPERATIONS.md against the code: every metric family the Rust sources record (the `metrics`
# macros: name, type, label keys) is in the table of "Metrics" with the same type and labels,
# the table names no other, and the alert rules use only these.
if [[ -n "$PY" ]]; then
    if out="$("$PY" - "$ROOT" "$DEPLOY/OPERATIONS.md" <<'PY' 2>&1
import os, re, sys, tomllib
root, ops_path = sys.argv[1:3]
code = {}
call = re.compile(r'metrics::(counter|gauge|histogram)!\(\s*"(hark_\w+)"(.*?)\)\s*\.\s*(?:increment|set|record|absolute)\(', re.S)
members = tomllib.load(open(os.path.join(root, "Cargo.toml"), "rb"))["workspace"]["members"]
for member in members:
    # The library code of each workspace member (src/), not its tests.
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, member, "src")):
        dirnames[:] = [d for d in dirnames if d not in ("target", "tests", ".git")]
        for name in filenames:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            for kind, metric, args in call.findall(open(path, encoding="utf-8").read()):
                labels = set(re.findall(r'"(\w+)"\s*=>', args))
                rel = os.path.relpath(path, root)
                if metric in code and code[metric][0] != kind:
                    print(f"{metric}: a {kind} in {rel}, a {code[metric][0]} in {code[metric][2]}")
                known = code.get(metric, (kind, set(), rel))
                code[metric] = (kind, known[1] | labels, known[2])
if not code:
    print("no metrics found in the Rust sources (has the `metrics::` macro call changed?)")
ops = open(ops_path, encoding="utf-8").read()
section = ops.split("\n## Metrics", 1)[-1].split("\n## ", 1)[0]
documented = {}
for metric, labels, kind in re.findall(r"^\| `(hark_\w+)(?:\{([\w,]*)\})?` \| (\w+) \|", section, re.M):
    documented[metric] = (kind, set(filter(None, labels.split(","))))
problems = []
for metric, (kind, labels, where) in sorted(code.items()):
    if metric not in documented:
        problems.append(f"{metric} ({kind}, {where}) is not in OPERATIONS.md's metrics table")
        continue
    doc_kind, doc_labels = documented[metric]
    if doc_kind != kind:
        problems.append(f"{metric}: documented as a {doc_kind}, recorded as a {kind} ({where})")
    if doc_labels != labels:
        problems.append(f"{metric}: documented labels {sorted(doc_labels)}, recorded {sorted(labels)} ({where})")
for metric in sorted(set(documented) - set(code)):
    problems.append(f"{metric} is documented but no code records it")
print("\n".join(problems))
print(f"{len(code)} metric families")
sys.exit(1 if problems else 0)
PY
)"; then
        ok "OPERATIONS.md metrics table matches the metrics the code records (${out##*$'\n'}: names, types, labels)"
    else
        fail "OPERATIONS.md metrics table against the code" "$out"
    fi
fi
if py_has yaml; then
    if out="$("$PY" - "$rules" "$DEPLOY/OPERATIONS.md" <<'PY' 2>&1
import re, sys, yaml
rules = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
ops = open(sys.argv[2], encoding="utf-8").read()
section = ops.split("\n## Metrics", 1)[-1].split("\n## ", 1)[0]
documented = dict(re.findall(r"^\| `(hark_\w+)(?:\{[\w,]*\})?` \| (\w+) \|", section, re.M))
problems = []
count = 0
for group in rules["groups"]:
    for rule in group["rules"]:
        count += 1
        for key in ("alert", "expr", "labels", "annotations"):
            if key not in rule:
                problems.append(f"{rule.get('alert', '?')}: no {key}")
        for metric in set(re.findall(r"\bhark_\w+", rule.get("expr", ""))):
            base = re.sub(r"_(bucket|sum|count)$", "", metric)
            if metric not in documented and documented.get(base) != "histogram":
                problems.append(f"{rule['alert']}: {metric} is not in OPERATIONS.md's metrics table")
        if f"`{rule.get('alert')}`" not in ops:
            problems.append(f"{rule.get('alert')}: not listed in OPERATIONS.md's alert rules")
print("\n".join(problems))
print(f"{count} rules")
sys.exit(1 if problems else 0)
PY
)"; then
        ok "alert rules: structure, every metric used is one hark records and OPERATIONS.md lists (${out##*$'\n'})"
    else
        fail "alert rules" "$out"
    fi
fi

# --- OPERATIONS.md against the code: `hark run` and /readyz ---------------------------------
# The flags of `hark run` (the `Run` variant of crates/hark-cli/src/cli.rs) are the ones the
# guide describes; the JSON example of /readyz has the fields of crates/hark-app/src/health.rs.
if [[ -n "$PY" ]]; then
    if out="$("$PY" - "$ROOT" "$DEPLOY/OPERATIONS.md" <<'PY' 2>&1
import json, os, re, sys
root, ops_path = sys.argv[1:3]
ops = open(ops_path, encoding="utf-8").read()
problems = []
cli = open(os.path.join(root, "crates/hark-cli/src/cli.rs"), encoding="utf-8").read()
block = re.search(r"\n    Run \{\n(.*?)\n    \},", cli, re.S)
if not block:
    problems.append("no `Run { ... }` variant in crates/hark-cli/src/cli.rs")
else:
    flags = {"--" + f.replace("_", "-") for f in re.findall(r"^        (\w+):", block.group(1), re.M)}
    section = ops.split("\n## Running `hark run`", 1)[-1].split("\n## ", 1)[0]
    synopsis = re.search(r"```\n(hark run .*?)```", section, re.S)
    shown = set(re.findall(r"--[a-z-]+", synopsis.group(1))) if synopsis else set()
    described = set(re.findall(r"^- `(--[a-z-]+)", section, re.M))
    for what, found in (("synopsis", shown), ("list of flags", described)):
        for flag in sorted(flags - found):
            problems.append(f"`hark run {flag}` is missing from the {what} of \"Running `hark run`\"")
        for flag in sorted(found - flags):
            problems.append(f"\"Running `hark run`\" {what} names {flag}, which `hark run` does not have")
health = open(os.path.join(root, "crates/hark-app/src/health.rs"), encoding="utf-8").read()
structs = {name: set(re.findall(r"^    pub (\w+):", body, re.M))
           for name, body in re.findall(r"pub struct (\w+) \{\n(.*?)\n\}", health, re.S)}
section = ops.split("\n## Health and readiness", 1)[-1].split("\n## ", 1)[0]
example = re.search(r"```json\n(.*?)```", section, re.S)
if not example:
    problems.append("no ```json example of /readyz under \"Health and readiness\"")
else:
    doc = json.loads(example.group(1))
    pairs = [("Readiness", doc), ("Checks", doc.get("checks", {}))]
    pairs += [("Check", check) for check in doc.get("checks", {}).values()]
    pairs += [("FailingSource", source) for source in doc.get("failing_sources", [])]
    for name, value in pairs:
        if name not in structs:
            problems.append(f"health.rs has no struct {name}")
        elif set(value) != structs[name]:
            problems.append(f"/readyz example: {name} has {sorted(value)}, the code {sorted(structs[name])}")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
)"; then
        ok "OPERATIONS.md: the flags of hark run and the fields of /readyz match the code"
    else
        fail "OPERATIONS.md against the code (hark run, /readyz)" "$out"
    fi
fi

# The hark command lines of the deployment files, parsed by the built hark (`--help` appended:
# an unknown flag or a bad value fails, nothing runs).
if [[ -z "$HARK_BIN" ]]; then
    skip "hark command lines parsed by hark" "no built hark binary"
elif ! py_has yaml; then
    skip "hark command lines parsed by hark" "PyYAML missing"
elif out="$("$PY" - "$DEPLOY" "$HARK_BIN" <<'PY' 2>&1
import json, os, re, shlex, subprocess, sys, yaml
deploy, hark = sys.argv[1:3]
lines = []
for line in open(os.path.join(deploy, "systemd/hark.service"), encoding="utf-8"):
    if line.startswith("ExecStart=/usr/local/bin/hark "):
        lines.append(("systemd/hark.service ExecStart", shlex.split(line.split("=", 1)[1])[1:]))
compose = yaml.safe_load(open(os.path.join(deploy, "compose.yaml"), encoding="utf-8"))
lines.append(("compose.yaml command", compose["services"]["hark"]["command"]))
scaled = yaml.safe_load(open(os.path.join(deploy, "compose.scaled.yaml"), encoding="utf-8"))
for role in ("fetch", "process", "serve"):
    lines.append((f"compose.scaled.yaml {role} command", scaled["services"][role]["command"]))
for name in ("fetch.yaml", "process.yaml", "serve.yaml"):
    for doc in yaml.safe_load_all(open(os.path.join(deploy, "k8s", "scaled", name), encoding="utf-8")):
        for c in doc["spec"]["template"]["spec"]["containers"]:
            lines.append((f"k8s/scaled/{name} args", c["args"]))
for name, container in (("deployment.yaml", "hark"), ("restore-job.yaml", "restore")):
    for doc in yaml.safe_load_all(open(os.path.join(deploy, "k8s", name), encoding="utf-8")):
        pod = doc["spec"]["template"]["spec"]
        for c in pod["containers"]:
            if c["name"] == container and "args" in c:
                lines.append((f"k8s/{name} args", c["args"]))
docker = re.sub(r"\\\n", " ", open(os.path.join(deploy, "Dockerfile"), encoding="utf-8").read())
cmds = re.findall(r"^CMD (\[.*\])\s*$", docker, re.M)
if cmds:
    lines.append(("Dockerfile CMD", json.loads(cmds[-1])))
problems = []
env = {k: v for k, v in os.environ.items() if not k.startswith("HARK_")}
for where, args in lines:
    done = subprocess.run([hark, *args, "--help"], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        problems.append(f"{where}: hark {' '.join(args)}: {done.stderr.strip().splitlines()[0] if done.stderr.strip() else done.returncode}")
print("\n".join(problems))
print(f"{len(lines)} command lines")
sys.exit(1 if problems or len(lines) < 11 else 0)
PY
)"; then
    ok "hark command lines of the unit, compose, manifests and Dockerfile parsed by hark (${out##*$'\n'})"
else
    fail "hark command lines parsed by hark" "$out"
fi

# --- the rest ---------------------------------------------------------------------------------
missing_index=()
while IFS= read -r file; do
    rel="${file#"$DEPLOY"/}"
    [[ "$rel" == README.md || "$rel" == .gitignore ]] && continue
    grep -qF "$rel" "$DEPLOY/README.md" || missing_index+=("$rel")
done < <(find "$DEPLOY" -type f | sort)
if ((${#missing_index[@]})); then
    fail "deploy/README.md indexes every file" "not mentioned: ${missing_index[*]}"
else
    ok "deploy/README.md indexes every file under deploy/"
fi
if have shellcheck; then
    if out="$(shellcheck "$ROOT/scripts/check-deploy.sh" 2>&1)"; then ok "shellcheck scripts/check-deploy.sh"; else fail "shellcheck scripts/check-deploy.sh" "$out"; fi
else
    skip "shellcheck" "shellcheck missing"
fi

say "not checked here: building and running the image (needs a container engine with BuildKit,"
say "  crates.io and PyPI), systemd starting the unit (its sandbox applied to the running process),"
say "  applying the manifests to a cluster (admission, storage class, probes against a live pod)."
say "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
